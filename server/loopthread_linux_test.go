//go:build linux

package server_test

import (
	"bufio"
	"context"
	"math"
	"net/netip"
	"os"
	"runtime"
	"strings"
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
	// The loop lets go of its thread after 256 waits in a row that find at
	// most one connection ready (TestLoopLetsGoOfItsThreadForALoneClient);
	// on a loaded machine this test's clients sometimes sent that way, and
	// this test is about the loop while it keeps its thread.
	t.Cleanup(server.SetLoneWaits(math.MaxInt)) // after the server's shutdown
	exec := &threadsExec{threads: map[int]bool{}}
	ts := startServer(t, exec, server.Config{})
	// Eight connections, each sent its query before any answer is read.
	cs := make([]*blockingClient, 8)
	for i := range cs {
		cs[i] = dialBlocking(t, ts.addr)
	}

	// busy keeps every processor busy with goroutines that only yield,
	// until the function it returns is called (once or more).
	busy := func() (stop func()) {
		var done atomic.Bool
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for !done.Load() {
					runtime.Gosched()
				}
			})
		}
		return func() { done.Store(true); wg.Wait() }
	}

	// phase sends query 1,000 times on each connection (the loop chooses
	// how to wait every 256 queries) and for at least d (it yields every
	// 5 ms).
	phase := func(query string, d time.Duration) {
		start := time.Now()
		defer func() { t.Logf("%s %v", query, time.Since(start)) }()
		for i := 0; i < 1000 || time.Since(start) < d; i++ {
			pongs(t, query, cs...)
		}
	}
	stop := busy()
	defer func() { stop() }()
	exec.take()
	phase(`["ping"]`, 300*time.Millisecond)
	stop()
	if n := exec.take(); n != 1 {
		t.Errorf("waiting in epoll_wait, the loop answered on %d threads", n)
	}
	// The loop in Go's poller while the processors are busy would wait
	// for sysmon's poll, about 10 ms.
	phase(`["count"]`, 300*time.Millisecond) // to Go's poller
	phase(`["ping"]`, 100*time.Millisecond)  // back to epoll_wait
	stop = busy()
	exec.take()
	phase(`["ping"]`, 300*time.Millisecond)
	if n := exec.take(); n != 1 {
		t.Errorf("back in epoll_wait, the loop answered on %d threads", n)
	}
}

// TestLoopLetsGoOfItsThreadForALoneClient: a loop whose waits find one
// connection ready at a time (one client, one request at a time) lets go of
// its thread after 256 of them, and keeps one again when two clients send
// at once. loopthread_linux.go says why.
func TestLoopLetsGoOfItsThreadForALoneClient(t *testing.T) {
	t.Setenv(server.EnvEventLoops, "1")
	ts := startServer(t, &halfInline{}, server.Config{})
	c, c2 := dialBlocking(t, ts.addr), dialBlocking(t, ts.addr)
	ping := func(cs ...*blockingClient) { pongs(t, `["ping"]`, cs...) }
	ping(c2) // both connections are with the loop before the count starts
	ping(c)
	if !server.LoopThreadLocked(ts.Server) {
		t.Fatal("a new loop does not keep its thread")
	}
	// 256 lone waits, and a margin for waits that found a connection's
	// other events with a request (an accepted connection's first one).
	for i := 0; server.LoopThreadLocked(ts.Server); i++ {
		if i == 2000 {
			t.Fatal("after 2,000 requests from a lone client, the loop still keeps its thread")
		}
		ping(c)
	}
	// Each round, both requests are written before either is answered;
	// a wait that finds both ready makes the loop keep its thread.
	for i := 0; !server.LoopThreadLocked(ts.Server); i++ {
		if i == 10000 {
			t.Fatal("with two clients sending at once, the loop never kept its thread")
		}
		ping(c, c2)
	}
}

// pongs sends query on each of cs, then reads each one's answer, which
// must be [0,"pong"]: the requests of one call wait for the loop together.
func pongs(t *testing.T, query string, cs ...*blockingClient) {
	t.Helper()
	for _, c := range cs {
		if _, err := c.f.WriteString(query + "\n"); err != nil {
			t.Fatalf("write %s: %v", query, err)
		}
	}
	for _, c := range cs {
		line, err := c.br.ReadString('\n')
		if err != nil {
			t.Fatalf("%s: read: %v (got %q)", query, err, line)
		}
		if got := strings.TrimRight(line, "\r\n"); got != `[0,"pong"]` {
			t.Fatalf("%s: %q", query, got)
		}
	}
}

// blockingClient is a client on a blocking socket, outside Go's network
// poller (an os.File of a blocking descriptor reads and writes with plain
// system calls): with every processor kept busy by goroutines that only
// yield, the scheduler polls the network about every 10 ms (sysmon), and a
// client waiting in the poller would take that long for each answer.
type blockingClient struct {
	f  *os.File
	br *bufio.Reader
}

func dialBlocking(t *testing.T, addr string) *blockingClient {
	t.Helper()
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "client")
	t.Cleanup(func() { f.Close() })
	// A read that waits longer than this fails the test instead of hanging it.
	tv := syscall.NsecToTimeval(int64(20 * time.Second))
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Connect(fd, &syscall.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())}); err != nil {
		t.Fatal(err)
	}
	return &blockingClient{f: f, br: bufio.NewReader(f)}
}
