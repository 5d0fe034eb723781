//go:build linux

package server

import (
	"runtime"
	"syscall"
)

// setNice gives the loop's thread the nice value of Config.LoopNice, on the
// loop's goroutine before it serves anything. Why and what it changes:
// "Clients on the same machine" in the package doc.
//
// The goroutine stays locked to its thread for good: the thread ends with
// the loop instead of going back to the runtime with its priority (or, if
// it is the process's main thread, stays parked, as the runtime cannot end
// that one).
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
