//go:build linux

package server

import (
	"runtime"
	"syscall"
)

// setNice gives the loop's thread the nice value of Config.LoopNice, on the
// loop's goroutine before it serves anything.
//
// Why: with clients on the same machine (a load generator on two shared
// cores), every answer's write wakes a client thread on the loop's core
// (the kernel places a socket's wakee next to its waker), and the woken
// thread, at equal priority, takes the core while the loop still has
// connections to serve. Then one core holds the loop and the clients and
// the other idles: gets, 64 connections, 14-18 % of the machine idle, the
// loop waiting 2.6 us per get in the run queue, the clients' threads going
// to sleep and being woken 0.13-0.15 times per get. Redis, daemonized
// (its own session, so its own autogroup), does not meet this; nor does
// the loop with nice -5: 0.04 sleeps per get, 4-6 % idle, the generator's
// CPU per get down from 5.4-6.3 to 4.6-4.8 us.
//
// The goroutine stays locked to its thread for good: the thread ends with
// the loop instead of going back to the runtime with its priority.
func (l *loop) setNice() {
	n := l.srv.loopNice
	if n == 0 {
		return
	}
	runtime.LockOSThread()
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), n); err != nil {
		l.srv.log.Warn("server: cannot set the event loop's nice value; it runs at the process's priority", "nice", n, "err", err)
	}
}
