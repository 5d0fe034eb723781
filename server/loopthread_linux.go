//go:build linux

package server

import (
	"runtime"
	"sync/atomic"
	"syscall"
)

// The loop's thread. While a loop waits in epoll_wait itself (loopwait_linux.go)
// and finds more than one connection ready at a time, its goroutine keeps
// one thread (runtime.LockOSThread). Unlocked, the goroutine went from
// thread to thread (a yield, or its processor taken during a system call,
// resumed it on another one): serving gets by id, two or three of the
// process's threads each did a third to half of the loop's work. The
// kernel shares a core between task groups (an autogroup per session, or
// a service's cgroup under systemd) by the load each group has on each
// core, so a loop spread over both cores' threads had about half its
// group's weight on each against the clients' group, where one thread has
// it all, as single-threaded Redis has. fleetdb serve in a session of its
// own (as a service manager starts it) beside fleetbench, 64 connections
// of gets, eight pairs alternated: 106.5-131.1 k gets/s (median 119.5 k)
// locked against 93.9-119.4 k (median 110.0 k), the loop preempted
// 0.012-0.061 times per get against 0.050-0.139, at the same CPU per get
// (docs/performance-history.md, seventeenth round); 16 connections, four
// pairs: 116.7-125.3 k against 83.1-112.4 k. In the clients' own session
// (one group for both) it changes nothing measurable.
//
// But a lone client, one request at a time, is served faster by a loop
// that does not keep its thread: fleetdb bench -c 1 made 13.9-16.6 k gets/s
// against a locked loop and 18.8-22.7 k against an unlocked one (17 pairs),
// the server using the same CPU time (0.40-0.47 of a core), so more per
// get when locked; the unlocked loop's work was spread over two threads. With the server and the client pinned to
// one core (taskset) both builds made 46 k gets/s, pinned to different
// cores both 15.4-15.8 k: a lone client's round trip on this VM is mostly
// the cost of waking the other core, and the unlocked loop presumably ran
// more often on the core the client had just left (not measured). So the
// loop lets go of its thread after loneWaits waits in a row that found at
// most one connection ready (afterWait), and keeps one again at the first
// wait that finds more. With four connections a wait found 1.2 ready on
// average, with 64 2.1-2.6.
//
// In Go's poller (when most queries run on goroutines) the loop parks and
// is woken like any goroutine; locked, every park and wake-up would also
// hand its processor between two threads, so it lets go of its thread
// there too.
//
// A thread with a nice value (Config.LoopNice) stays locked for good.

// loneWaits is how many waits in a row that find at most one connection
// ready make a loop let go of its thread: a lone client's loop does after
// 256 requests, while with four clients or more a wait finds two ready
// far more often than once in 256. A variable only for tests
// (SetLoneWaits), which set it before a loop starts.
var loneWaits = 256

// loopThread is whether a loop's goroutine keeps its thread. Only the
// loop's goroutine changes it.
type loopThread struct {
	// locked: the goroutine is locked to its thread; atomic for tests
	// (LoopThreadLocked), which read it from other goroutines.
	locked atomic.Bool
	// lone counts the waits in a row that found at most one connection
	// ready, up to loneWaits.
	lone int
}

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
	l.thread_.locked.Store(true)
	n := l.srv.loopNice
	if n == 0 {
		return
	}
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), n); err != nil {
		l.srv.log.Warn("server: cannot set the event loop's nice value; it runs at the process's priority", "nice", n, "err", err)
	}
}

// keepThread locks (keep) or unlocks the loop's goroutine to its thread as
// it starts or stops waiting in epoll_wait itself or finds more than one
// connection ready or only one; a thread with a nice value stays locked.
func (l *loop) keepThread(keep bool) {
	t := &l.thread_
	if keep {
		t.lone = 0
	}
	if keep == t.locked.Load() || l.srv.loopNice != 0 {
		return
	}
	if keep {
		runtime.LockOSThread()
	} else {
		runtime.UnlockOSThread()
	}
	t.locked.Store(keep)
}

// afterWait keeps the loop's thread after an epoll_wait that could block
// and found n connections ready, or lets go of it after loneWaits in a
// row that found at most one.
func (l *loop) afterWait(n int) {
	t := &l.thread_
	switch {
	case n > 1:
		l.keepThread(true)
	case t.lone < loneWaits:
		if t.lone++; t.lone == loneWaits {
			l.keepThread(false)
		}
	}
}

// leaveThread gives the loop's thread back to the runtime as the loop ends,
// unless it is locked for good (a nice value) or not locked.
func (l *loop) leaveThread() { l.keepThread(false) }
