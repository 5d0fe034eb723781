package server_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb"
	"github.com/fleetdb-go/fleetdb/server"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newDB opens an ephemeral database, closed at the end of the test.
func newDB(t testing.TB) *fleetdb.DB {
	t.Helper()
	db, err := fleetdb.Open(fleetdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newDurableDB opens a database with a log in a temporary directory,
// fsynced at every batch, closed at the end of the test.
func newDurableDB(t testing.TB) *fleetdb.DB {
	t.Helper()
	db, err := fleetdb.Open(fleetdb.Options{Path: filepath.Join(t.TempDir(), "test.fdb"), Sync: fleetdb.SyncAlways})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// testServer is a Server on a loopback listener, shut down at the end of
// the test (unless the test did it).
type testServer struct {
	*server.Server
	addr   string
	served chan error // Serve's result
}

func startServer(t testing.TB, exec server.Executor, cfg server.Config) *testServer {
	t.Helper()
	srv, err := server.New(exec, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Server: srv, addr: ln.Addr().String(), served: make(chan error, 1)}
	go func() { ts.served <- srv.Serve(ln) }()
	// Serve marks the server serving on its goroutine: wait for it, so that
	// a test's first /healthz is not answered "not serving" (it was, once,
	// on a loaded machine).
	for deadline := time.Now().Add(10 * time.Second); srv.Healthy() == server.ErrNotServing && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		select {
		case err := <-ts.served:
			if !errors.Is(err, server.ErrServerClosed) {
				t.Errorf("Serve returned %v, want ErrServerClosed", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after Shutdown")
		}
	})
	return ts
}

// client is a raw protocol connection: it writes bytes and reads CRLF
// terminated lines, failing the test on anything else.
type client struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader
}

func dial(t testing.TB, addr string) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	return &client{t: t, nc: nc, br: bufio.NewReaderSize(nc, 1<<16)}
}

// send writes s as it is (the caller includes the terminators).
func (c *client) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.nc, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// recv reads one response line and returns it without its "\r\n".
func (c *client) recv() string {
	c.t.Helper()
	line, err := c.br.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read: %v (got %q)", err, line)
	}
	if !strings.HasSuffix(line, "\r\n") {
		c.t.Fatalf("response %q does not end with CRLF", line)
	}
	return strings.TrimSuffix(line, "\r\n")
}

// query sends one request line (CRLF added) and returns the response.
func (c *client) query(req string) string {
	c.t.Helper()
	c.send(req + "\r\n")
	return c.recv()
}

// expectEOF checks that the server closes the connection (after any
// response already read) within d.
func (c *client) expectEOF(d time.Duration) {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(d))
	line, err := c.br.ReadString('\n')
	if err == nil || !(errors.Is(err, io.EOF) || isReset(err)) {
		c.t.Fatalf("want the connection closed, got %q, %v", line, err)
	}
	c.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

// expectOpen checks that nothing arrives and the connection stays open for d.
func (c *client) expectOpen(d time.Duration) {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(d))
	line, err := c.br.ReadString('\n')
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		c.t.Fatalf("want the connection open and silent, got %q, %v", line, err)
	}
	c.nc.SetReadDeadline(time.Now().Add(20 * time.Second))
}

// blockingExec wraps an Executor: a request containing "block" waits until
// release is closed (or its ctx ends), after signalling started.
type blockingExec struct {
	inner   server.Executor
	started chan string
	release chan struct{}
}

func newBlockingExec(inner server.Executor) *blockingExec {
	return &blockingExec{inner: inner, started: make(chan string, 16), release: make(chan struct{})}
}

func (b *blockingExec) Query(ctx context.Context, req []byte) ([]byte, error) {
	if strings.Contains(string(req), "block") {
		b.started <- string(req)
		select {
		case <-b.release:
			return []byte(`"released"`), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return b.inner.Query(ctx, req)
}
