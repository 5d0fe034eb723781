//go:build linux

package server

import (
	"runtime"
	"syscall"
)

// The loop's thread. While a loop waits in epoll_wait itself (loopwait_linux.go)
// its goroutine keeps one thread (runtime.LockOSThread). Unlocked, the
// goroutine went from thread to thread (a yield, or its processor taken
// during a system call, resumed it on another one): serving gets by id,
// two or three of the process's threads each did a third to half of the
// loop's work. The kernel shares a core between task groups (an autogroup
// per session, or a service's cgroup under systemd) by the load each
// group has on each core, so a loop spread over both cores' threads had
// about half its group's weight on each against the clients' group,
// where one thread has it all, as single-threaded Redis has. fleetdb
// serve in a session of its own (as a service manager starts it) beside
// fleetbench, 64 connections of gets, eight pairs alternated: 106.5-131.1
// k gets/s (median 119.5 k) locked against 93.9-119.4 k (median 110.0 k),
// the loop preempted 0.012-0.061 times per get against 0.050-0.139, at the
// same CPU per get (README, Performance, seventeenth round). In the
// clients' own session (one group for both) it changes nothing measurable.
//
// In Go's poller (when most queries run on goroutines) the loop parks and
// is woken like any goroutine; locked, every park and wake-up would also
// hand its processor between two threads, so it lets go of its thread
// there, unless the thread carries a nice value.

// takeThread locks the loop's goroutine to its thread and gives the thread
// the nice value of Config.LoopNice, on the loop's goroutine before it
// serves anything. Why a nice value, and what it changes: "Clients on the
// same machine" in the package doc.
//
// A thread with a nice value stays locked for good: it ends with the loop
// instead of going back to the runtime with its priority (or, if it is the
// process's main thread, stays parked, as the runtime cannot end that one).
func (l *loop) takeThread() {
	runtime.LockOSThread()
	n := l.srv.loopNice
	if n == 0 {
		return
	}
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), n); err != nil {
		l.srv.log.Warn("server: cannot set the event loop's nice value; it runs at the process's priority", "nice", n, "err", err)
	}
}

// keepThread locks (keep) or unlocks the loop's goroutine to its thread as
// it starts or stops waiting in epoll_wait itself; a thread with a nice
// value stays locked.
func (l *loop) keepThread(keep bool) {
	switch {
	case l.srv.loopNice != 0:
	case keep:
		runtime.LockOSThread()
	default:
		runtime.UnlockOSThread()
	}
}

// leaveThread gives the loop's thread back to the runtime as the loop ends,
// unless it is locked for good (a nice value) or not locked (the poller).
func (l *loop) leaveThread() {
	if l.wait_.file == nil {
		l.keepThread(false)
	}
}
