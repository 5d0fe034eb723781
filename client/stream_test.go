package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/protocol"
)

func dialStream(t *testing.T, s *fakeServer, opts ...Option) *Stream {
	t.Helper()
	st, err := DialStream(context.Background(), s.Addr(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestStreamPipelined sends requests ahead of their answers, from one
// goroutine, while another receives them in order: values, refusals and
// failures, reusing one buffer.
func TestStreamPipelined(t *testing.T) {
	s := newFakeServer(t, "pw")
	st := dialStream(t, s, WithPassword("pw"))
	const n = 3000
	var wg sync.WaitGroup
	var serr error
	wg.Go(func() {
		for i := range n {
			q := []any{"echo", i}
			switch i % 10 {
			case 3:
				q = []any{"refuse", "no " + strconv.Itoa(i)}
			case 7:
				q = []any{"fail", "later"}
			}
			if serr = st.Send(q); serr != nil {
				return
			}
			if i%100 == 99 {
				if serr = st.Flush(); serr != nil {
					return
				}
			}
		}
		serr = st.Flush()
	})
	var buf []byte
	for i := range n {
		var err error
		buf, err = st.AppendReceive(buf[:0])
		var e *Error
		switch i % 10 {
		case 3:
			if !errors.As(err, &e) || e.Status != protocol.StatusRefused || e.Message != "no "+strconv.Itoa(i) {
				t.Fatalf("answer %d: %q, %v; want refused", i, buf, err)
			}
		case 7:
			if !IsRetryable(err) {
				t.Fatalf("answer %d: %q, %v; want failed", i, buf, err)
			}
		default:
			if err != nil || string(buf) != strconv.Itoa(i) {
				t.Fatalf("answer %d: %q, %v", i, buf, err)
			}
		}
	}
	wg.Wait()
	if serr != nil {
		t.Fatal(serr)
	}
	// Query on the same stream after the pipelined answers.
	if v, err := st.Query([]any{"ping"}); err != nil || string(v) != `"pong"` {
		t.Fatalf("Query: %s, %v", v, err)
	}
}

// TestStreamAnswer reads an answer piece by piece: an array element by
// element, a skipped element, then the next answer whole; a refused
// answer is an *Error and leaves the stream usable.
func TestStreamAnswer(t *testing.T) {
	s := newFakeServer(t, "", func(s *fakeServer) {
		s.handler = func(q []json.RawMessage) (protocol.Status, string) {
			n, _ := strconv.Atoi(string(q[1]))
			var b strings.Builder
			b.WriteString("[")
			for i := range n {
				if i > 0 {
					b.WriteString(" , ")
				}
				fmt.Fprintf(&b, `{"id":%d,"s":"a]\"}"}`, i)
			}
			b.WriteString("]")
			return protocol.StatusOK, b.String()
		}
	})
	st := dialStream(t, s)
	for _, q := range []string{`["list",5000]`, `["refuse","nope"]`, `["list",0]`} {
		if err := st.Send([]byte(q)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	a, err := st.Answer()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Expect('['); err != nil {
		t.Fatal(err)
	}
	first := true
	var rec []byte
	for i := 0; ; i++ {
		more, err := a.Next(&first)
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			if i != 5000 {
				t.Fatalf("%d elements", i)
			}
			break
		}
		if i == 1 {
			if err := a.Skip(); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if rec, err = a.Value(rec[:0]); err != nil || string(rec) != fmt.Sprintf(`{"id":%d,"s":"a]\"}"}`, i) {
			t.Fatalf("element %d: %s, %v", i, rec, err)
		}
	}
	if err := a.End(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Answer(); !IsRefused(err) {
		t.Fatalf("refused answer: %v", err)
	}
	if v, err := st.Receive(); err != nil || string(v) != `[]` {
		t.Fatalf("last answer: %s, %v", v, err)
	}
}

// TestStreamErrors: a wrong password, a lost connection, the end of the
// stream's ctx.
func TestStreamErrors(t *testing.T) {
	s := newFakeServer(t, "pw")
	_, err := DialStream(context.Background(), s.Addr(), WithPassword("wrong"))
	if !errors.Is(err, ErrAuth) || !IsRefused(err) {
		t.Fatalf("wrong password: %v", err)
	}
	_, err = DialStream(context.Background(), "127.0.0.1:1")
	if err == nil || !strings.Contains(err.Error(), "dial") {
		t.Fatalf("unreachable: %v", err)
	}

	st := dialStream(t, s, WithPassword("pw"))
	if _, err := st.Query([]any{"half"}); !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("cut answer: %v", err)
	}
	if err := st.Send([]any{"bad", make(chan int)}); !errors.Is(err, ErrInvalidQuery) {
		t.Fatalf("invalid query: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	st2, err := DialStream(ctx, s.Addr(), WithPassword("pw"))
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	done := make(chan error, 1)
	go func() { _, err := st2.Query([]any{"sleep", 10000}); done <- err }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the end of ctx did not interrupt the stream")
	}
}

// TestStreamAppendLine reads answers as the server sent them, in order,
// whatever their status, interleaved with parsed ones.
func TestStreamAppendLine(t *testing.T) {
	s := newFakeServer(t, "")
	st := dialStream(t, s)
	for _, q := range [][]any{{"echo", 1}, {"refuse", "no"}, {"echo", "x"}} {
		if err := st.Send(q); err != nil {
			t.Fatal(err)
		}
	}
	// A *json.RawMessage is sent as it is, like a json.RawMessage.
	raw := json.RawMessage(`["echo",2]`)
	if err := st.Send(&raw); err != nil {
		t.Fatal(err)
	}
	reads := st.Reads()
	if err := st.Flush(); err != nil {
		t.Fatal(err)
	}
	buf := []byte("keep:")
	for _, want := range []string{`keep:[0,1]`, `keep:[1,"no"]`, `keep:[0,"x"]`} {
		var err error
		if buf, err = st.AppendLine(buf[:5]); err != nil || string(buf) != want {
			t.Fatalf("AppendLine: %q, %v; want %q", buf, err, want)
		}
	}
	if v, err := st.Receive(); err != nil || string(v) != "2" {
		t.Fatalf("Receive after AppendLine: %q, %v", v, err)
	}
	// Four answers came in at least one read from the network, at most four.
	if n := st.Reads() - reads; n < 1 || n > 4 {
		t.Fatalf("Reads grew by %d over four answers", n)
	}
}

// TestParseAnswer parses lines as Receive would: a value, a server's
// refusal, and a line that is not an answer.
func TestParseAnswer(t *testing.T) {
	if v, err := ParseAnswer([]byte(`[0,{"a":1}]`)); err != nil || string(v) != `{"a":1}` {
		t.Errorf("value: %q, %v", v, err)
	}
	var e *Error
	if _, err := ParseAnswer([]byte(`[1,"Duplicated id: 1"]`)); !errors.As(err, &e) || e.Status != protocol.StatusRefused || e.Message != "Duplicated id: 1" {
		t.Errorf("refusal: %v", err)
	}
	if _, err := ParseAnswer([]byte(`[0,]`)); !errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("not an answer: %v", err)
	}
}
