//go:build linux

package server_test

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/server"
)

// threadsExec is halfInline ("count" through Query on a goroutine, every
// other query answered "pong" on the loop) that records the threads the
// loop answered on.
type threadsExec struct {
	halfInline
	mu      sync.Mutex
	threads map[int]bool
}

func (e *threadsExec) AppendQuery(ctx context.Context, dst, req []byte) ([]byte, bool, error) {
	out, ok, err := e.halfInline.AppendQuery(ctx, dst, req)
	if ok {
		e.mu.Lock()
		e.threads[syscall.Gettid()] = true
		e.mu.Unlock()
	}
	return out, ok, err
}

// take returns the threads recorded since the last call.
func (e *threadsExec) take() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := len(e.threads)
	clear(e.threads)
	return n
}

// TestLoopKeepsItsThread: while it waits in epoll_wait, a loop answers on
// one thread, through its yields to Go's scheduler and while other
// goroutines keep every processor busy (unlocked, they took it over from
// one yield to the next); after a stretch in Go's poller, it keeps a
// thread again. loopthread_linux.go says why.
func TestLoopKeepsItsThread(t *testing.T) {
	t.Setenv(server.EnvEventLoops, "1")
	exec := &threadsExec{threads: map[int]bool{}}
	ts := startServer(t, exec, server.Config{})
	c := dial(t, ts.addr)

	var stop atomic.Bool
	var busy sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		busy.Go(func() {
			for !stop.Load() {
				runtime.Gosched()
			}
		})
	}
	defer func() { stop.Store(true); busy.Wait() }()

	// phase sends query 1,000 times (four of the loop's samples of 256,
	// after which it chooses how to wait) and for at least d (it yields
	// every 5 ms).
	phase := func(query string, d time.Duration) {
		start := time.Now()
		for i := 0; i < 1000 || time.Since(start) < d; i++ {
			if got := c.query(query); got != `[0,"pong"]` {
				t.Fatalf("%s: %s", query, got)
			}
		}
	}
	exec.take()
	phase(`["ping"]`, 300*time.Millisecond)
	if n := exec.take(); n != 1 {
		t.Errorf("waiting in epoll_wait, the loop answered on %d threads", n)
	}
	phase(`["count"]`, 300*time.Millisecond) // to Go's poller
	phase(`["ping"]`, 100*time.Millisecond)  // back to epoll_wait
	exec.take()
	phase(`["ping"]`, 300*time.Millisecond)
	if n := exec.take(); n != 1 {
		t.Errorf("back in epoll_wait, the loop answered on %d threads", n)
	}
}
