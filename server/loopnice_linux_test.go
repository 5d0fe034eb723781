//go:build linux

package server_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/server"
)

// threadsWithNice counts the process's threads whose nice value is n. The
// main thread is left out when notMain: a goroutine locked to its thread
// that exits on the main thread leaves it parked for good (with its
// priority) instead of ending it, as the runtime cannot end that thread.
func threadsWithNice(t *testing.T, n int, notMain bool) int {
	t.Helper()
	paths, err := filepath.Glob("/proc/self/task/*/stat")
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, p := range paths {
		if notMain && filepath.Base(filepath.Dir(p)) == strconv.Itoa(os.Getpid()) {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread ended meanwhile
		}
		// pid (comm) state ppid ...: the nice value is the 19th field, the
		// 17th after the comm's closing parenthesis.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 16 {
			if v, err := strconv.Atoi(f[16]); err == nil && v == n {
				count++
			}
		}
	}
	return count
}

// waitThreadsWithNice waits until want threads have nice value n.
func waitThreadsWithNice(t *testing.T, n, want int, notMain bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for threadsWithNice(t, n, notMain) != want {
		if time.Now().After(deadline) {
			t.Fatalf("%d threads with nice %d, want %d", threadsWithNice(t, n, notMain), n, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLoopNice: Config.LoopNice (or FLEETDB_LOOP_NICE when it is 0) gives
// each event loop's thread that nice value, and only those threads; the
// loop answers as before (reads, durable writes, pipelined lines in
// order, in both ways of waiting); after Shutdown the thread is gone, not
// back in the runtime's pool with its priority.
func TestLoopNice(t *testing.T) {
	t.Setenv(server.EnvEventLoops, "2")
	for _, tc := range []struct {
		name string
		cfg  int
		env  string
		want int
	}{
		{"config", 7, "", 7},
		{"env", 0, "6", 6},
		{"config over env", 5, "9", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(server.EnvLoopNice, tc.env)
			before := threadsWithNice(t, tc.want, false)
			beforeNotMain := threadsWithNice(t, tc.want, true)
			srv, err := server.New(newDurableDB(t), server.Config{LoopNice: tc.cfg})
			if err != nil {
				t.Fatal(err)
			}
			ts := serveOn(t, srv)
			c := dial(t, ts.addr)
			var batch strings.Builder
			for i := range 20 {
				fmt.Fprintf(&batch, "[\"insert\",\"t\",{\"id\":%d}]\r\n", i)
			}
			batch.WriteString("[\"select\",\"t\",{\"where\":[\"=\",\"id\",19]}]\r\n[\"ping\"]\r\n")
			c.send(batch.String())
			for i := range 20 {
				if got := c.recv(); !strings.HasPrefix(got, "[0,") {
					t.Fatalf("insert %d: %s", i, got)
				}
			}
			if got := c.recv(); got != `[0,[{"id":19}]]` {
				t.Fatalf("select: %s", got)
			}
			if got := c.recv(); got != `[0,"pong"]` {
				t.Fatalf("ping: %s", got)
			}
			// A second connection goes to the other loop.
			if got := dial(t, ts.addr).query(`["ping"]`); got != `[0,"pong"]` {
				t.Fatal(got)
			}
			waitThreadsWithNice(t, tc.want, before+2, false)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			waitThreadsWithNice(t, tc.want, beforeNotMain, true)
		})
	}
}

// TestLoopNicePoller: a loop on a locked thread that waits in Go's poller
// (most queries on goroutines) still answers every request.
func TestLoopNicePoller(t *testing.T) {
	t.Setenv(server.EnvEventLoops, "1")
	before := threadsWithNice(t, 3, false)
	ts := startServer(t, halfInline{}, server.Config{LoopNice: 3})
	c := dial(t, ts.addr)
	for _, phase := range []string{`["count"]`, `["ping"]`, `["count"]`} {
		for i := range 2000 {
			if got := c.query(phase); got != `[0,"pong"]` {
				t.Fatalf("%s %d: %s", phase, i, got)
			}
		}
	}
	waitThreadsWithNice(t, 3, before+1, false)
}

// serveOn serves srv on a loopback listener; the test shuts it down.
func serveOn(t *testing.T, srv *server.Server) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Server: srv, addr: ln.Addr().String(), served: make(chan error, 1)}
	go func() { ts.served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		select {
		case <-ts.served:
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after Shutdown")
		}
	})
	return ts
}
