package server_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/server"
)

// TestReadTimeout: a request line started but not finished within
// ReadTimeout closes the connection (slowloris guard); a connection that
// sent nothing is not affected without an IdleTimeout.
func TestReadTimeout(t *testing.T) {
	ts := startServer(t, newDB(t), server.Config{ReadTimeout: 300 * time.Millisecond})
	idle := dial(t, ts.addr)
	slow := dial(t, ts.addr)
	slow.send(`["pi`)
	start := time.Now()
	// Trickling bytes does not extend the deadline.
	for range 3 {
		time.Sleep(50 * time.Millisecond)
		slow.send(` `)
	}
	slow.expectEOF(5 * time.Second)
	if d := time.Since(start); d < 250*time.Millisecond || d > 3*time.Second {
		t.Errorf("closed after %v, want about 300ms", d)
	}
	idle.expectOpen(200 * time.Millisecond)
	if got := idle.query(`["ping"]`); got != `[0,"pong"]` {
		t.Fatalf("idle connection: %s", got)
	}
	// A complete line arriving in pieces within the timeout is fine.
	idle.send(`["pi`)
	time.Sleep(100 * time.Millisecond)
	if got := idle.query(`ng"]`); got != `[0,"pong"]` {
		t.Fatal(got)
	}
}

// TestIdleTimeout closes connections with no request in progress after
// IdleTimeout, and only those.
func TestIdleTimeout(t *testing.T) {
	ts := startServer(t, newDB(t), server.Config{IdleTimeout: 300 * time.Millisecond})
	busy := dial(t, ts.addr)
	idle := dial(t, ts.addr)
	if got := idle.query(`["ping"]`); got != `[0,"pong"]` {
		t.Fatal(got)
	}
	start := time.Now()
	for time.Since(start) < 600*time.Millisecond {
		if got := busy.query(`["ping"]`); got != `[0,"pong"]` {
			t.Fatal(got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	idle.expectEOF(time.Second)
}

// TestMaxConns: a connection beyond the limit is answered and closed; once
// one closes, a new one is served.
func TestMaxConns(t *testing.T) {
	ts := startServer(t, newDB(t), server.Config{MaxConns: 2})
	a, b := dial(t, ts.addr), dial(t, ts.addr)
	for _, c := range []*client{a, b} {
		if got := c.query(`["ping"]`); got != `[0,"pong"]` {
			t.Fatal(got)
		}
	}
	over := dial(t, ts.addr)
	if got := over.recv(); got != `[2,"too many connections"]` {
		t.Fatalf("got %s", got)
	}
	over.expectEOF(2 * time.Second)
	a.nc.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c := dial(t, ts.addr)
		c.send(`["ping"]` + "\r\n")
		got := c.recv()
		if got == `[0,"pong"]` {
			break
		}
		if got != `[2,"too many connections"]` || time.Now().After(deadline) {
			t.Fatalf("after a close: %s", got)
		}
		c.nc.Close()
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, cfg := range []server.Config{
		{Addr: "no-port"},
		{MaxRequestBytes: -1},
		{MaxConns: -1},
		{ReadTimeout: -time.Second},
		{IdleTimeout: -time.Second},
		{WriteTimeout: -time.Second},
		{LoopNice: -21},
		{LoopNice: 20},
	} {
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "invalid config") {
			t.Errorf("%+v: Validate = %v, want an invalid config error", cfg, err)
		}
		if _, err := server.New(newDB(t), cfg); err == nil {
			t.Errorf("%+v: New accepted it", cfg)
		}
	}
	if err := (server.Config{}).Validate(); err != nil {
		t.Errorf("zero Config: %v", err)
	}
	if _, err := server.New(nil, server.Config{}); err == nil {
		t.Error("New accepted a nil Executor")
	}
}

// TestListenAndServe serves on Config.Addr until its ctx ends.
func TestListenAndServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv, err := server.New(newDB(t), server.Config{Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := contextWithCancel(t)
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx) }()
	var c *client
	for i := 0; ; i++ {
		nc, err := net.Dial("tcp", addr)
		if err == nil {
			nc.Close()
			c = dial(t, addr)
			break
		}
		if i > 200 {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := c.query(`["ping"]`); got != `[0,"pong"]` {
		t.Fatal(got)
	}
	if srv.Addr() == nil || srv.Addr().String() != addr {
		t.Errorf("Addr() = %v, want %s", srv.Addr(), addr)
	}
	cancel()
	c.expectEOF(5 * time.Second)
	select {
	case err := <-done:
		if err != server.ErrServerClosed {
			t.Fatalf("ListenAndServe: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ListenAndServe did not return")
	}
}

// halfInline runs "count" through Query on a goroutine and answers every
// other query at once on the loop.
type halfInline struct{ pongExec }

func (halfInline) AppendQuery(_ context.Context, dst, req []byte) ([]byte, bool, error) {
	if strings.Contains(string(req), "count") {
		return dst, false, nil
	}
	return append(dst, pong...), true, nil
}

// TestLoopWaitModes: a loop whose queries mostly go to goroutines waits in
// Go's poller, one that answers them itself blocks in epoll_wait (see
// loopwait_linux.go); across both switches every answer arrives, and the
// idle timeout still closes an idle connection in either mode.
func TestLoopWaitModes(t *testing.T) {
	t.Setenv(server.EnvEventLoops, "1")
	ts := startServer(t, halfInline{}, server.Config{IdleTimeout: 300 * time.Millisecond})
	c := dial(t, ts.addr)
	for _, phase := range []string{`["count"]`, `["ping"]`, `["count"]`} {
		idle := dial(t, ts.addr)
		if got := idle.query(`["ping"]`); got != `[0,"pong"]` {
			t.Fatal(got)
		}
		start := time.Now()
		for i := 0; i < 1000 || time.Since(start) < 600*time.Millisecond; i++ {
			if got := c.query(phase); got != `[0,"pong"]` {
				t.Fatalf("%s %d: %s", phase, i, got)
			}
		}
		idle.expectEOF(time.Second)
	}
}
