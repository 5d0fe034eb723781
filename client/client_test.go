package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/protocol"
)

func dial(t testing.TB, s *fakeServer, opts ...Option) *Client {
	t.Helper()
	c, err := Dial(context.Background(), s.Addr(), opts...)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestQuery(t *testing.T) {
	s := newFakeServer(t, "")
	c := dial(t, s)
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	v, err := c.Query(ctx, []any{"echo", map[string]any{"id": 1, "name": "Zoë <&>", "tags": []string{"a"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(v), `{"id":1,"name":"Zoë <&>","tags":["a"]}`; got != want {
		t.Fatalf("echo = %s, want %s", got, want)
	}
	v, err = c.Query(ctx, json.RawMessage(" [\"echo\", [1, 2.50, \"\\n\"]]\r\n"))
	if err != nil || string(v) != `[1, 2.50, "\n"]` {
		t.Fatalf("raw echo = %s, %v", v, err)
	}
	v, err = c.Query(ctx, []byte(`["ping"]`))
	if err != nil || string(v) != `"pong"` {
		t.Fatalf("[]byte ping = %s, %v", v, err)
	}
}

func TestServerErrors(t *testing.T) {
	s := newFakeServer(t, "")
	c := dial(t, s)
	ctx := context.Background()
	for _, tt := range []struct {
		q         []any
		status    protocol.Status
		msg       string
		refused   bool
		retryable bool
	}{
		{[]any{"refuse", "Duplicated id: 7"}, protocol.StatusRefused, "Duplicated id: 7", true, false},
		{[]any{"fail", "shutting down now"}, protocol.StatusFailed, "shutting down now", false, true},
		{[]any{"refuse", "ünïcode \n\x01 \"quoted\""}, protocol.StatusRefused, "ünïcode \n\x01 \"quoted\"", true, false},
	} {
		v, err := c.Query(ctx, tt.q)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%v: got %s, %v; want *Error", tt.q, v, err)
		}
		if e.Status != tt.status || e.Message != tt.msg {
			t.Errorf("%v: Error = %+v, want status %v message %q", tt.q, *e, tt.status, tt.msg)
		}
		if IsRefused(err) != tt.refused || IsRetryable(err) != tt.retryable {
			t.Errorf("%v: IsRefused %v IsRetryable %v", tt.q, IsRefused(err), IsRetryable(err))
		}
		if errors.Is(err, ErrOutcomeUnknown) {
			t.Errorf("%v: a server error wraps ErrOutcomeUnknown", tt.q)
		}
	}
	_, err := c.Query(ctx, []any{"refuse", "Duplicated id: 7"})
	var e *Error
	if !errors.As(err, &e) || !e.HasPrefix(protocol.PrefixDuplicatedID) || err.Error() != "client: refused: Duplicated id: 7" {
		t.Errorf("Error() = %q", err)
	}
	// Server errors leave the connection usable.
	if err := c.Ping(ctx); err != nil || s.accepted.Load() != 1 {
		t.Fatalf("after server errors: %v, %d connections", err, s.accepted.Load())
	}
}

func TestAuth(t *testing.T) {
	ctx := context.Background()
	t.Run("accepted", func(t *testing.T) {
		s := newFakeServer(t, "secret")
		c := dial(t, s, WithPassword("secret"), WithPoolSize(2))
		// Two concurrent queries need a second connection, which must
		// authenticate too.
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				if _, err := c.Query(ctx, []any{"sleep", 50}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := s.accepted.Load(); n != 2 {
			t.Fatalf("%d connections, want 2", n)
		}
	})
	t.Run("rejected", func(t *testing.T) {
		s := newFakeServer(t, "secret")
		c, err := Dial(ctx, s.Addr(), WithPassword("wrong"))
		var e *Error
		if c != nil || !errors.Is(err, ErrAuth) || !errors.As(err, &e) || e.Message != protocol.MsgAuthRejected || !IsRefused(err) {
			t.Fatalf("Dial with a wrong password = %v, %v", c, err)
		}
	})
	t.Run("unneeded", func(t *testing.T) {
		s := newFakeServer(t, "")
		c := dial(t, s, WithPassword("whatever"))
		if err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("needed", func(t *testing.T) {
		s := newFakeServer(t, "secret")
		c := dial(t, s)
		_, err := c.Query(ctx, []any{"ping"})
		var e *Error
		if !errors.As(err, &e) || e.Message != protocol.MsgAuthNeeded {
			t.Fatalf("query without auth = %v", err)
		}
		// The server closed that connection; it must not be reused.
		if err := c.Ping(ctx); err == nil || s.accepted.Load() != 2 {
			t.Fatalf("second query: %v on %d connections, want auth needed on a new one", err, s.accepted.Load())
		}
	})
}

func TestDialUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	start := time.Now()
	c, err := Dial(context.Background(), addr)
	if c != nil || err == nil || !strings.Contains(err.Error(), "client: dial "+addr) {
		t.Fatalf("Dial to a closed port = %v, %v", c, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Dial took %v to fail", d)
	}
}

func TestDialTimeoutAndDialer(t *testing.T) {
	dialer := func(ctx context.Context, network, addr string) (net.Conn, error) {
		<-ctx.Done() // a server that never answers the SYN
		return nil, ctx.Err()
	}
	start := time.Now()
	_, err := Dial(context.Background(), "192.0.2.1:3400", WithDialer(dialer), WithDialTimeout(50*time.Millisecond))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dial = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("dial timeout of 50ms took %v", d)
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, opt := range []Option{WithPoolSize(0), WithMaxResponseBytes(0), WithDialer(nil)} {
		if _, err := Dial(context.Background(), "127.0.0.1:1", opt); err == nil || errors.Is(err, ErrClosed) {
			t.Errorf("invalid option accepted: %v", err)
		}
	}
}

func TestContextTimeoutDiscardsConn(t *testing.T) {
	s := newFakeServer(t, "")
	c := dial(t, s, WithPoolSize(1))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Query(ctx, []any{"sleep", 2000})
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("slow query = %v, want DeadlineExceeded and ErrOutcomeUnknown", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("timed out after %v", d)
	}
	// The late answer must not be read by the next query: it runs on a
	// new connection.
	v, err := c.Query(context.Background(), []any{"echo", "next"})
	if err != nil || string(v) != `"next"` {
		t.Fatalf("query after timeout = %s, %v", v, err)
	}
	if n := s.accepted.Load(); n != 2 {
		t.Fatalf("%d connections, want 2 (the timed-out one discarded)", n)
	}
}

func TestContextCancelDiscardsConn(t *testing.T) {
	s := newFakeServer(t, "", func(s *fakeServer) { s.sleeping = make(chan struct{}, 1) })
	c := dial(t, s, WithPoolSize(1))
	ctx, cancel := context.WithCancel(context.Background())
	// Cancel once the server has the query: canceled before it was sent,
	// the outcome would be known (nothing sent), which a loaded machine
	// made happen with a fixed 50 ms delay.
	go func() {
		<-s.sleeping
		cancel()
	}()
	_, err := c.Query(ctx, []any{"sleep", 2000})
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("canceled query = %v, want Canceled and ErrOutcomeUnknown", err)
	}
	if err := c.Ping(context.Background()); err != nil || s.accepted.Load() != 2 {
		t.Fatalf("after cancel: %v on %d connections", err, s.accepted.Load())
	}
	// A ctx ended before the call: nothing is sent.
	if _, err := c.Query(ctx, []any{"ping"}); !errors.Is(err, context.Canceled) || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("query with a canceled ctx = %v", err)
	}
}

func TestDeadlineClearedBetweenQueries(t *testing.T) {
	s := newFakeServer(t, "")
	c := dial(t, s, WithPoolSize(1))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	// The same connection, without a deadline now, waits as long as needed.
	time.Sleep(150 * time.Millisecond)
	if _, err := c.Query(context.Background(), []any{"sleep", 10}); err != nil {
		t.Fatal(err)
	}
	if n := s.accepted.Load(); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}
}

func TestPoolReuse(t *testing.T) {
	s := newFakeServer(t, "")
	c := dial(t, s)
	for i := range 100 {
		if _, err := c.Query(context.Background(), []any{"echo", i}); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.accepted.Load(); n != 1 {
		t.Fatalf("100 sequential queries used %d connections, want 1", n)
	}
}

func TestPoolBoundAndWait(t *testing.T) {
	s := newFakeServer(t, "")
	c := dial(t, s, WithPoolSize(2))
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if _, err := c.Query(context.Background(), []any{"sleep", 30}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := s.accepted.Load(); n != 2 {
		t.Fatalf("%d connections for a pool of 2", n)
	}

	// With the pool busy, a call waits for a connection within its ctx,
	// and nothing is sent if it gives up.
	c1 := dial(t, s, WithPoolSize(1))
	wg.Go(func() {
		if _, err := c1.Query(context.Background(), []any{"sleep", 300}); err != nil {
			t.Error(err)
		}
	})
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c1.Query(ctx, []any{"ping"})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("waiting for a busy pool = %v, want DeadlineExceeded without ErrOutcomeUnknown", err)
	}
	wg.Wait()
}

func TestConcurrentQueries(t *testing.T) {
	s := newFakeServer(t, "")
	c := dial(t, s, WithPoolSize(4))
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 100 {
				want := fmt.Sprintf("g%d-q%d", g, i)
				v, err := c.Query(context.Background(), []any{"echo", want})
				if err != nil {
					t.Error(err)
					return
				}
				if string(v) != `"`+want+`"` {
					t.Errorf("echo %s answered %s", want, v)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := s.accepted.Load(); n > 4 {
		t.Fatalf("%d connections for a pool of 4", n)
	}
}

func TestServerClosesMidAnswer(t *testing.T) {
	s := newFakeServer(t, "")
	c := dial(t, s)
	for _, op := range []string{"half", "drop", "garbage"} {
		_, err := c.Query(context.Background(), []any{op})
		if !errors.Is(err, ErrOutcomeUnknown) {
			t.Fatalf("%s: err = %v, want ErrOutcomeUnknown", op, err)
		}
		if op == "garbage" && !errors.Is(err, protocol.ErrMalformedResponse) {
			t.Fatalf("garbage: err = %v, want ErrMalformedResponse", err)
		}
		if op == "drop" && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("drop: err = %v, want io.ErrUnexpectedEOF", err)
		}
		if err := c.Ping(context.Background()); err != nil {
			t.Fatalf("after %s: %v", op, err)
		}
	}
	if n := s.accepted.Load(); n != 4 {
		t.Fatalf("%d connections, want 4 (each broken one replaced)", n)
	}
}

func TestIdleConnClosedByServer(t *testing.T) {
	s := newFakeServer(t, "")
	c := dial(t, s)
	if err := c.Ping(context.Background()); err != nil { // the server has registered the conn
		t.Fatal(err)
	}
	s.closeConns()
	time.Sleep(20 * time.Millisecond)
	// Documented: no retry, the stale connection fails once.
	if err := c.Ping(context.Background()); !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("query on a connection the server closed = %v", err)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("next query: %v", err)
	}
}

func TestResponseTooLarge(t *testing.T) {
	s := newFakeServer(t, "")
	c := dial(t, s, WithMaxResponseBytes(1024))
	_, err := c.Query(context.Background(), []any{"big", 100000})
	if !errors.Is(err, ErrResponseTooLarge) || !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("big answer = %v", err)
	}
	var tl *protocol.TooLargeError
	if !errors.As(err, &tl) || tl.Limit != 1024 {
		t.Fatalf("big answer = %v, want a *protocol.TooLargeError with Limit 1024", err)
	}
	// The answer was skipped whole; the connection is still in step.
	v, err := c.Query(context.Background(), []any{"big", 1000})
	if err != nil || len(v) != 1002 || s.accepted.Load() != 1 {
		t.Fatalf("next answer: %d bytes, %v, %d connections", len(v), err, s.accepted.Load())
	}
}

func TestInvalidQuery(t *testing.T) {
	s := newFakeServer(t, "")
	c := dial(t, s)
	twoLines := json.RawMessage("[\"ping\"]\n[1]")
	for _, q := range []any{json.RawMessage("[\"ping\",\n1]"), []byte("  \r\n"), json.RawMessage(nil), make(chan int), []any{"x", func() {}},
		(*json.RawMessage)(nil), &twoLines} {
		if _, err := c.Query(context.Background(), q); !errors.Is(err, ErrInvalidQuery) {
			t.Errorf("Query(%T) = %v, want ErrInvalidQuery", q, err)
		}
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestClose(t *testing.T) {
	s := newFakeServer(t, "")
	c, err := Dial(context.Background(), s.Addr(), WithPoolSize(1))
	if err != nil {
		t.Fatal(err)
	}
	// A call in progress finishes; one waiting for the pool gets ErrClosed.
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, err := c.Query(context.Background(), []any{"sleep", 200}); err != nil {
			t.Errorf("call in progress during Close: %v", err)
		}
	})
	time.Sleep(50 * time.Millisecond)
	waiting := make(chan error)
	go func() { _, err := c.Query(context.Background(), []any{"ping"}); waiting <- err }()
	time.Sleep(50 * time.Millisecond)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-waiting; !errors.Is(err, ErrClosed) {
		t.Fatalf("waiting call = %v, want ErrClosed", err)
	}
	wg.Wait()
	if err := c.Ping(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close = %v", err)
	}
	if _, err := c.Pipeline(context.Background(), []any{[]any{"ping"}}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Pipeline after Close = %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
