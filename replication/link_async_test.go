package replication

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"testing"
	"time"
)

// TestTCPLinkStart: start sends only on a connection already open (false
// otherwise, with nothing sent), hands the answer to its callback once,
// fails a request that got no answer within its timeout with errLost
// (its late answer is dropped), and fails requests in flight when the
// connection breaks; a quick answer (handleQuick's way) and a handled one
// come back alike.
func TestTCPLinkStart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	handled := make(chan byte, 16)
	m := newMux(ln, nil, func(ctx context.Context, op byte, payload []byte) (byte, []byte) {
		handled <- op
		if op == 'S' { // slow: answers once released
			<-release
		}
		return stOK, append([]byte("h:"), payload...)
	}, func(op byte, payload []byte) (byte, []byte, bool) {
		if op != 'Q' {
			return 0, nil, false
		}
		return stOK, append([]byte("q:"), payload...), true
	}, slog.New(slog.DiscardHandler))
	defer m.close()
	l := newTCPLink(time.Second, nil)
	defer l.close()
	addr := ln.Addr().String()

	type result struct {
		status byte
		data   string
		err    error
	}
	got := make(chan result, 16)
	fn := func(status byte, data []byte, err error) { got <- result{status, string(data), err} }
	if l.start(addr, 'Q', []byte("x"), time.Second, fn) {
		t.Fatal("start sent on a link with no connection open")
	}
	if st, data, err := l.call(context.Background(), addr, 'P', nil); err != nil || st != stOK || string(data) != "h:" {
		t.Fatalf("call: %d %q %v", st, data, err)
	}
	<-handled
	for _, c := range []struct {
		op   byte
		want string
	}{{'Q', "q:a"}, {'H', "h:a"}} {
		if !l.start(addr, c.op, []byte("a"), time.Second, fn) {
			t.Fatalf("start %c on an open connection declined", c.op)
		}
		r := <-got
		if r.err != nil || r.status != stOK || r.data != c.want {
			t.Fatalf("start %c: %+v, want %q", c.op, r, c.want)
		}
	}
	// No answer in time: errLost, once; the late answer is dropped.
	if !l.start(addr, 'S', nil, 50*time.Millisecond, fn) {
		t.Fatal("start declined")
	}
	if r := <-got; !errors.Is(r.err, errLost) {
		t.Fatalf("slow request: %+v, want errLost", r)
	}
	waitOp := func(want byte) {
		for op := range handled {
			if op == want {
				return
			}
		}
	}
	waitOp('S')
	release <- struct{}{}
	// The connection breaks with a request in flight: its callback gets
	// the error.
	if !l.start(addr, 'S', nil, 5*time.Second, fn) {
		t.Fatal("start declined")
	}
	waitOp('S')
	defer close(release)
	start := time.Now()
	l.mu.Lock()
	l.peers[addr].nc.Close()
	l.mu.Unlock()
	if r := <-got; r.err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("request on a broken connection: %+v after %v, want an error at once", r, time.Since(start))
	}
	select {
	case r := <-got:
		t.Fatalf("a callback ran twice: %+v", r)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestFrameBuffered: the mux flushes quick answers unless a whole request
// is buffered already: a partial one (its rest still on the network)
// must not hold an answer back.
func TestFrameBuffered(t *testing.T) {
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	writeFrame(bw, 1, opReadIndex, []byte("n2"))
	writeFrame(bw, 2, opConfirm, nil)
	bw.Flush()
	whole := buf.Bytes()
	first := 1 + 1 + 1 + 2 // length, id, op, payload
	for _, c := range []struct {
		after int  // bytes of whole available
		read  bool // the first frame read before asking
		want  bool
	}{
		{0, false, false},
		{1, false, false},
		{first - 1, false, false},
		{first, false, true},
		{first, true, false},
		{first + 2, true, false},
		{len(whole), true, true},
	} {
		r := bufio.NewReader(bytes.NewReader(whole[:c.after]))
		if c.after > 0 {
			r.Peek(c.after) // fill the buffer with what arrived
		}
		if c.read {
			if _, _, _, err := readFrame(r); err != nil {
				t.Fatal(err)
			}
		}
		if got := frameBuffered(r); got != c.want {
			t.Errorf("%d bytes arrived, first read %v: frameBuffered %v, want %v", c.after, c.read, got, c.want)
		}
	}
}

// TestTCPLinkStartDeadlines: requests without answers fail at their own
// deadlines (one reaper per connection, armed again for the next),
// whatever order they were sent in, and one answered meanwhile is not
// failed.
func TestTCPLinkStartDeadlines(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	m := newMux(ln, nil, func(ctx context.Context, op byte, payload []byte) (byte, []byte) {
		if op == 'S' {
			<-release
		}
		return stOK, payload
	}, nil, slog.New(slog.DiscardHandler))
	defer m.close()
	defer close(release)
	l := newTCPLink(time.Second, nil)
	defer l.close()
	addr := ln.Addr().String()
	if _, _, err := l.call(context.Background(), addr, 'P', nil); err != nil {
		t.Fatal(err)
	}
	type result struct {
		name string
		err  error
		at   time.Duration
	}
	got := make(chan result, 8)
	start := time.Now()
	send := func(name string, op byte, timeout time.Duration) {
		if !l.start(addr, op, []byte(name), timeout, func(_ byte, data []byte, err error) {
			got <- result{name, err, time.Since(start)}
		}) {
			t.Fatalf("start %s declined", name)
		}
	}
	send("late", 'S', 300*time.Millisecond)
	send("early", 'S', 60*time.Millisecond)
	send("answered", 'F', 200*time.Millisecond)
	want := []struct {
		name     string
		lost     bool
		min, max time.Duration
	}{{"answered", false, 0, 150 * time.Millisecond}, {"early", true, 60 * time.Millisecond, 250 * time.Millisecond}, {"late", true, 300 * time.Millisecond, 2 * time.Second}}
	for _, w := range want {
		r := <-got
		if r.name != w.name || errors.Is(r.err, errLost) != w.lost || (!w.lost && r.err != nil) || r.at < w.min || r.at > w.max {
			t.Fatalf("got %s (%v) after %v, want %s lost=%v within [%v, %v]", r.name, r.err, r.at, w.name, w.lost, w.min, w.max)
		}
	}
}
