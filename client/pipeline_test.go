package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/protocol"
)

func TestPipelineInOrder(t *testing.T) {
	s := newFakeServer(t, "")
	c := dial(t, s)
	const n = 1000
	qs := make([]any, n)
	for i := range qs {
		switch {
		case i%100 == 7:
			qs[i] = []any{"refuse", fmt.Sprintf("Malformed query: %d", i)}
		case i%100 == 9:
			qs[i] = make(chan int) // cannot be encoded: not sent
		default:
			qs[i] = []any{"echo", i}
		}
	}
	results, err := c.Pipeline(context.Background(), qs)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != n {
		t.Fatalf("%d results for %d queries", len(results), n)
	}
	for i, r := range results {
		switch {
		case i%100 == 7:
			var e *Error
			if !errors.As(r.Err, &e) || e.Status != protocol.StatusRefused || e.Message != fmt.Sprintf("Malformed query: %d", i) {
				t.Fatalf("result %d = %s, %v", i, r.Value, r.Err)
			}
		case i%100 == 9:
			if !errors.Is(r.Err, ErrInvalidQuery) || r.Value != nil {
				t.Fatalf("result %d = %s, %v; want ErrInvalidQuery", i, r.Value, r.Err)
			}
		default:
			if r.Err != nil || string(r.Value) != fmt.Sprint(i) {
				t.Fatalf("result %d = %s, %v", i, r.Value, r.Err)
			}
		}
	}
	// Values are independent slices.
	results[0].Value = append(results[0].Value, "garbage"...)
	if string(results[1].Value) != "1" {
		t.Fatalf("appending to one value changed the next: %s", results[1].Value)
	}
	if n := s.accepted.Load(); n != 1 {
		t.Fatalf("%d connections", n)
	}
	if err := c.Ping(context.Background()); err != nil || s.accepted.Load() != 1 {
		t.Fatalf("connection not reused after a pipeline: %v", err)
	}
}

// TestPipelineLarge sends much more than the (shrunk) socket buffers hold in
// both directions: a client that wrote everything before reading would
// deadlock with a server that stops reading while its answers are not read.
func TestPipelineLarge(t *testing.T) {
	const sockBuf = 16 << 10
	s := newFakeServer(t, "", func(s *fakeServer) { s.sockBuf = sockBuf })
	c := dial(t, s, WithDialer(func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		nc, err := d.DialContext(ctx, network, addr)
		if err == nil {
			nc.(*net.TCPConn).SetReadBuffer(sockBuf)
			nc.(*net.TCPConn).SetWriteBuffer(sockBuf)
		}
		return nc, err
	}))
	payload := strings.Repeat("p", 16<<10)
	qs := make([]any, 256) // 4 MiB each way
	for i := range qs {
		qs[i] = []any{"echo", fmt.Sprintf("%d:%s", i, payload)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	results, err := c.Pipeline(ctx, qs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r.Err != nil || !strings.HasPrefix(string(r.Value), fmt.Sprintf(`"%d:p`, i)) || len(r.Value) < len(payload) {
			t.Fatalf("result %d: %.20s, %v", i, r.Value, r.Err)
		}
	}
}

func TestPipelineConnectionLost(t *testing.T) {
	s := newFakeServer(t, "")
	c := dial(t, s)
	qs := []any{[]any{"echo", 1}, []any{"echo", 2}, []any{"half"}, []any{"echo", 4}, []any{"echo", 5}}
	results, err := c.Pipeline(context.Background(), qs)
	if !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("Pipeline = %v, want ErrOutcomeUnknown", err)
	}
	if string(results[0].Value) != "1" || string(results[1].Value) != "2" || results[0].Err != nil || results[1].Err != nil {
		t.Fatalf("answers before the loss: %+v", results[:2])
	}
	for i := 2; i < 5; i++ {
		if results[i].Err != err || results[i].Value != nil {
			t.Fatalf("result %d = %+v, want the pipeline's error", i, results[i])
		}
	}
	if err := c.Ping(context.Background()); err != nil || s.accepted.Load() != 2 {
		t.Fatalf("after a lost pipeline: %v, %d connections", err, s.accepted.Load())
	}
}

func TestPipelineTimeout(t *testing.T) {
	s := newFakeServer(t, "")
	c := dial(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	results, err := c.Pipeline(ctx, []any{[]any{"ping"}, []any{"sleep", 2000}, []any{"ping"}})
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("Pipeline = %v", err)
	}
	if string(results[0].Value) != `"pong"` || results[1].Err == nil || results[2].Err == nil {
		t.Fatalf("results = %+v", results)
	}
	if err := c.Ping(context.Background()); err != nil || s.accepted.Load() != 2 {
		t.Fatalf("after a timed-out pipeline: %v, %d connections", err, s.accepted.Load())
	}
}

func TestPipelineEmpty(t *testing.T) {
	s := newFakeServer(t, "")
	c := dial(t, s)
	results, err := c.Pipeline(context.Background(), nil)
	if err != nil || len(results) != 0 {
		t.Fatalf("empty pipeline = %v, %v", results, err)
	}
	results, err = c.Pipeline(context.Background(), []any{make(chan int)})
	if err != nil || len(results) != 1 || !errors.Is(results[0].Err, ErrInvalidQuery) {
		t.Fatalf("pipeline of one invalid query = %v, %v", results, err)
	}
}
