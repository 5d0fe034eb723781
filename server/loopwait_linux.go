//go:build linux

package server

import (
	"errors"
	"os"
	"runtime"
	"runtime/metrics"
	"syscall"
	"time"
)

// How a loop waits for events. Blocking in epoll_wait itself is the
// cheaper way while the loop answers its queries itself (reads inline,
// writes committed on the loop): registered with Go's network poller, its
// epoll descriptor woke an idle runtime thread for every request that
// arrived while the loop was busy. But when most queries run on goroutines
// (a cluster member's, or an Executor without InlineExecutor), their
// completions must wake the loop: a goroutine blocked in a system call
// that is woken often loses its processor to sysmon and waits for one
// (in-process ping through Query: 12 us per request through the poller,
// 78 through epoll_wait). So the loop counts the queries it hands to other
// goroutines and waits in the poller while they are more than an eighth of
// its queries, in epoll_wait once they are fewer than one in 32.
const (
	waitSample    = 256 // queries between two choices
	waitPollerIn  = 8   // to the poller above 1 in waitPollerIn handed off
	waitPollerOut = 32  // back to epoll_wait below 1 in waitPollerOut
)

// yieldEvery is how often a loop blocking in epoll_wait may yield to Go's
// scheduler (maybeYield).
const yieldEvery = 5 * time.Millisecond

// loopWait is the loop's way of waiting. Only the loop's goroutine uses it.
type loopWait struct {
	// yielded is when maybeYield last looked; gcCycles the collector's
	// cycles then.
	yielded         time.Time
	gcCycles        uint64
	gcSample        []metrics.Sample
	queries, handed int
	// file is a duplicate of the epoll descriptor registered with Go's
	// poller (nil: the loop blocks in epoll_wait); raw is its RawConn and
	// deadline the read deadline set on it.
	file     *os.File
	raw      syscall.RawConn
	deadline time.Time
	waitN    int
	waitErr  error
	waitFn   func(uintptr) bool
}

// counted records a query answered on the loop (handed false) or handed to
// another goroutine, and chooses the way of waiting every waitSample.
func (l *loop) counted(handed bool) {
	w := &l.wait_
	w.queries++
	if handed {
		w.handed++
	}
	if w.queries < waitSample {
		return
	}
	switch {
	case w.file == nil && w.handed*waitPollerIn > w.queries:
		if err := l.usePoller(); err != nil {
			l.srv.log.Warn("server: event loop cannot wait in Go's poller", "err", err)
		} else {
			l.keepThread(false)
			l.srv.log.Debug("server: event loop waits in Go's poller", "handed", w.handed, "queries", w.queries)
		}
	case w.file != nil && w.handed*waitPollerOut < w.queries:
		w.file.Close()
		w.file, w.raw, w.deadline = nil, nil, time.Time{}
		l.keepThread(true)
		l.srv.log.Debug("server: event loop waits in epoll_wait", "handed", w.handed, "queries", w.queries)
	}
	w.queries, w.handed = 0, 0
}

// usePoller registers a duplicate of the epoll descriptor with Go's
// poller, so that the loop waits there.
func (l *loop) usePoller() error {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(l.epfd), syscall.F_DUPFD_CLOEXEC, 0)
	if e != 0 {
		return e
	}
	fd := int(r)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return err
	}
	f := os.NewFile(uintptr(fd), "epoll")
	raw, err := f.SyscallConn()
	if err == nil {
		// Fails unless the poller took the descriptor.
		err = f.SetReadDeadline(time.Time{})
	}
	if err != nil {
		f.Close()
		return err
	}
	w := &l.wait_
	w.file, w.raw = f, raw
	if w.waitFn == nil {
		w.waitFn = l.poll
	}
	return nil
}

// poll is the RawConn read function of the poller way: one epoll_wait
// that does not block. Returning false parks the goroutine in Go's poller
// until the epoll descriptor is readable or the deadline passes.
func (l *loop) poll(uintptr) bool {
	w := &l.wait_
	for {
		n, err := syscall.EpollWait(l.epfd, l.events, 0)
		if err == syscall.EINTR {
			continue
		}
		w.waitN, w.waitErr = n, err
		return n > 0 || err != nil
	}
}

// wait returns the number of events ready in l.events, waiting for one
// unless some connection has work left or the turn's writes wait for their
// commit, and at most until the next deadline scan.
func (l *loop) wait() (int, error) {
	now := len(l.again) > 0 || l.batched > 0
	if w := &l.wait_; w.file != nil {
		if now {
			l.poll(0)
			return w.waitN, w.waitErr
		}
		if !w.deadline.Equal(l.nextScan) {
			w.file.SetReadDeadline(l.nextScan)
			w.deadline = l.nextScan
		}
		w.waitN, w.waitErr = 0, nil
		if err := w.raw.Read(w.waitFn); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return 0, nil
			}
			return 0, err
		}
		return w.waitN, w.waitErr
	}
	for {
		timeout := -1
		switch {
		case now:
			timeout = 0
		case !l.nextScan.IsZero():
			d := time.Until(l.nextScan)
			timeout = max(0, int((d+time.Millisecond-1)/time.Millisecond))
		}
		n, err := syscall.EpollWait(l.epfd, l.events, timeout)
		if err == syscall.EINTR {
			continue
		}
		if timeout != 0 {
			l.afterWait(n)
		}
		return n, err
	}
}

// maybeYield goes through Go's scheduler every yieldEvery while the
// collector is idle. A goroutine that only ever enters system calls is
// never rescheduled, so sysmon takes its processor every 10 ms and polls
// every 20 us (5 % of a get's CPU). But a yield while a collection runs lets
// its mark worker take the loop's processor for milliseconds (a third of
// the durable insert throughput): the loop yields only when no cycle ended
// since it last looked.
func (l *loop) maybeYield() {
	w := &l.wait_
	if w.file != nil || l.now.Sub(w.yielded) < yieldEvery {
		return
	}
	w.yielded = l.now
	if w.gcSample == nil {
		w.gcSample = []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	}
	metrics.Read(w.gcSample)
	var n uint64
	if v := w.gcSample[0].Value; v.Kind() == metrics.KindUint64 {
		n = v.Uint64()
	}
	if n == w.gcCycles {
		runtime.Gosched()
	}
	w.gcCycles = n
}
