package server_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/server"
)

func contextWithCancel(t testing.TB) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx, cancel
}

// waitShutting waits until Shutdown has begun.
func waitShutting(t testing.TB, srv *server.Server) {
	t.Helper()
	for i := 0; srv.Healthy() == nil; i++ {
		if i > 1000 {
			t.Fatal("Shutdown did not begin")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestShutdownGraceful: queries in flight finish and are answered; requests
// that arrive afterwards (and pipelined lines already received) are answered
// "shutting down"; idle connections are closed; no new connection is
// accepted; Shutdown returns once every connection is gone.
func TestShutdownGraceful(t *testing.T) {
	exec := newBlockingExec(newDB(t))
	ts := startServer(t, exec, server.Config{})
	busy := dial(t, ts.addr)  // runs a blocking query, then sends one more
	piped := dial(t, ts.addr) // blocking query with pipelined lines behind it
	idle := dial(t, ts.addr)  // did one query, now idle
	if got := idle.query(`["ping"]`); got != `[0,"pong"]` {
		t.Fatal(got)
	}
	busy.send(`["select","block"]` + "\r\n")
	<-exec.started
	piped.send(`["select","block"]` + "\r\n" + `["ping"]` + "\r\n" + `["insert","t",{"id":1}]` + "\r\n")
	<-exec.started

	shutdown := make(chan error, 1)
	go func() { shutdown <- ts.Shutdown(context.Background()) }()
	waitShutting(t, ts.Server)
	busy.send(`["insert","t",{"id":2}]` + "\r\n")

	idle.expectEOF(2 * time.Second) // woken and closed while the others run
	if nc, err := net.DialTimeout("tcp", ts.addr, time.Second); err == nil {
		// The listener is closed: a connection may not even be made.
		nc.SetReadDeadline(time.Now().Add(2 * time.Second))
		if n, _ := nc.Read(make([]byte, 1)); n > 0 {
			t.Error("a connection was served after Shutdown")
		}
		nc.Close()
	}
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned %v with queries in flight", err)
	case <-time.After(200 * time.Millisecond):
	}

	close(exec.release)
	for _, want := range []string{`[0,"released"]`, `[2,"shutting down"]`} {
		if got := busy.recv(); got != want {
			t.Fatalf("busy: got %s, want %s", got, want)
		}
	}
	for _, want := range []string{`[0,"released"]`, `[2,"shutting down"]`, `[2,"shutting down"]`} {
		if got := piped.recv(); got != want {
			t.Fatalf("piped: got %s, want %s", got, want)
		}
	}
	busy.expectEOF(2 * time.Second)
	piped.expectEOF(2 * time.Second)
	select {
	case err := <-shutdown:
		if err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not return")
	}
	if err := <-ts.served; !errors.Is(err, server.ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
	ts.served <- server.ErrServerClosed // for the cleanup's check
	// Nothing that was answered "shutting down" ran.
	db := exec.inner
	out, err := db.Query(context.Background(), []byte(`["count","t"]`))
	if err != nil || string(out) != "0" {
		t.Fatalf("count after shutdown: %s, %v", out, err)
	}
}

// TestShutdownForced: when Shutdown's ctx ends first, the connections are
// closed by force, the queries' ctx is canceled, and Shutdown returns the
// ctx's error.
func TestShutdownForced(t *testing.T) {
	exec := newBlockingExec(newDB(t))
	ts := startServer(t, exec, server.Config{})
	c := dial(t, ts.addr)
	c.send(`["select","block"]` + "\r\n")
	<-exec.started
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := ts.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	c.expectEOF(2 * time.Second)
}

// TestServeAfterShutdown refuses to serve.
func TestServeAfterShutdown(t *testing.T) {
	srv, err := server.New(newDB(t), server.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(ln); !errors.Is(err, server.ErrServerClosed) {
		t.Fatalf("Serve after Shutdown = %v", err)
	}
	if _, err := ln.Accept(); err == nil {
		t.Fatal("Serve left the listener open")
	}
}
