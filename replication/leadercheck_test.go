package replication

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// TestBeatsSentAfterAsk: a leadership check is answered only by a
// heartbeat sent after it asked, never by one already in flight (whose
// answer may predate the read), and concurrent checks share heartbeats.
func TestBeatsSentAfterAsk(t *testing.T) {
	n := &Node{}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	defer func() { n.cancel(); n.wg.Wait() }()
	type call struct {
		term    uint64
		release chan bool
	}
	calls := make(chan call)
	b := newBeats(n)
	b.beat = func(_ raft.Server, term uint64) bool {
		c := call{term, make(chan bool)}
		select {
		case calls <- c:
		case <-n.ctx.Done():
			return false
		}
		select {
		case v := <-c.release:
			return v
		case <-n.ctx.Done():
			return false
		}
	}
	s := raft.Server{ID: "f1", Address: "f1"}
	next := func() call {
		t.Helper()
		select {
		case c := <-calls:
			return c
		case <-time.After(5 * time.Second):
			t.Fatal("no heartbeat sent")
		}
		return call{}
	}
	none := func(ch chan bool, what string) {
		t.Helper()
		select {
		case v := <-ch:
			t.Fatalf("%s answered (%v) too early", what, v)
		case <-time.After(20 * time.Millisecond):
		}
	}
	got := func(ch chan bool, want bool, what string) {
		t.Helper()
		select {
		case v := <-ch:
			if v != want {
				t.Fatalf("%s: got %v, want %v", what, v, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no answer", what)
		}
	}

	a, bb, c, d := make(chan bool, 1), make(chan bool, 1), make(chan bool, 1), make(chan bool, 1)
	b.ask(s, 3, a)
	h1 := next() // in flight for a
	b.ask(s, 3, bb)
	h2 := next() // a second heartbeat at once for bb (maxBeats 2)
	b.ask(s, 3, c)
	b.ask(s, 3, d) // both wait: two heartbeats in flight
	select {
	case <-calls:
		t.Fatal("a third heartbeat in flight")
	case <-time.After(20 * time.Millisecond):
	}
	h1.release <- true
	got(a, true, "a")
	none(bb, "b (its heartbeat is still in flight)")
	none(c, "c (asked while heartbeat 1 was in flight)")
	h3 := next() // sent for c and d together
	h2.release <- false
	got(bb, false, "b")
	none(c, "c")
	h3.release <- true
	got(c, true, "c")
	got(d, true, "d")
	if h1.term != 3 || h3.term != 3 {
		t.Fatalf("terms %d, %d; want 3", h1.term, h3.term)
	}

	// Checks queued together go out in one heartbeat of the first one's
	// term; a check of another term is not acknowledged by it.
	x, y, f, g := make(chan bool, 1), make(chan bool, 1), make(chan bool, 1), make(chan bool, 1)
	b.ask(s, 4, x)
	hx := next()
	b.ask(s, 4, y)
	hy := next()
	b.ask(s, 4, f)
	b.ask(s, 5, g)
	hx.release <- true
	got(x, true, "x")
	h5 := next()
	if h5.term != 4 {
		t.Fatalf("heartbeat term %d, want 4 (the first waiting check's)", h5.term)
	}
	h5.release <- true
	got(f, true, "f")
	got(g, false, "g (term 5, heartbeat of term 4)")
	hy.release <- true
	got(y, true, "y")
}

// TestConfirmTerm: a member answers a confirmation with its current term,
// which acknowledges the leader only for that very term.
func TestConfirmTerm(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	leader := c.waitLeader()
	ln := c.get(leader)
	term := ln.raft.CurrentTerm()
	for _, f := range c.followers(leader) {
		s := raft.Server{ID: raft.ServerID(f.id), Address: raft.ServerAddress(f.addr)}
		if !ln.beats.heartbeat(s, term) {
			t.Fatalf("%s did not confirm term %d", f.id, term)
		}
		if ln.beats.heartbeat(s, term+1) || ln.beats.heartbeat(s, term-1) {
			t.Fatalf("%s confirmed a term other than its own (%d)", f.id, term)
		}
	}
}

// TestConfirmFallsBackToRaftHeartbeat: a member that does not know
// opConfirm (an earlier version answers stNotLeader) is asked with raft's
// heartbeat instead, which confirms the leader's term and no other.
func TestConfirmFallsBackToRaftHeartbeat(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	leader := c.waitLeader()
	ln := c.get(leader)
	term := ln.raft.CurrentTerm()
	f := c.followers(leader)[0]
	c.net.mu.Lock()
	target := c.net.nodes[f.addr]
	own := target.handle
	confirms := 0
	target.handle = func(ctx context.Context, op byte, payload []byte) (byte, []byte) {
		if op == opConfirm {
			c.net.mu.Lock()
			confirms++
			c.net.mu.Unlock()
			return stNotLeader, nil
		}
		return own(ctx, op, payload)
	}
	c.net.mu.Unlock()
	s := raft.Server{ID: raft.ServerID(f.id), Address: raft.ServerAddress(f.addr)}
	if !ln.beats.heartbeat(s, term) {
		t.Fatalf("%s did not confirm term %d through raft's heartbeat", f.id, term)
	}
	// An earlier term is refused. (A later one would be taken: raft's
	// follower adopts the higher term of a heartbeat, which is why only
	// the leader's own term is ever sent.)
	if term > 1 && ln.beats.heartbeat(s, term-1) {
		t.Fatalf("%s confirmed term %d, an earlier term than its own", f.id, term-1)
	}
	c.net.mu.Lock()
	defer c.net.mu.Unlock()
	if confirms < 2 { // the leader's own checks (reads) may ask it too
		t.Fatalf("%d confirmation requests reached %s, want at least the 2 above (then the fallback)", confirms, f.id)
	}
}

// TestConfirmLeaderAsksFewFirst: with three voters a check asks one
// follower; the other only when the first refuses or is slow
// (hedgeDelay), and then its answer counts.
func TestConfirmLeaderAsksFewFirst(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	leader := c.waitReady() // then no check runs any more: the beats may be changed
	ln := c.get(leader)
	term := ln.raft.CurrentTerm()
	ln.beats.hedge = time.Minute // no hedging unless asked below
	var (
		mu    sync.Mutex
		asked []raft.ServerID
	)
	answer := func(raft.ServerID) bool { return true }
	ln.beats.beat = func(s raft.Server, _ uint64) bool {
		mu.Lock()
		asked = append(asked, s.ID)
		mu.Unlock()
		return answer(s.ID)
	}
	check := func(want int, what string) {
		t.Helper()
		mu.Lock()
		asked = nil
		mu.Unlock()
		if err := ln.confirmLeader(context.Background(), term); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(10 * time.Millisecond) // any late heartbeat is recorded
		mu.Lock()
		defer mu.Unlock()
		if len(asked) != want {
			t.Fatalf("%s: asked %v, want %d members", what, asked, want)
		}
	}
	check(1, "both answer")
	var first atomic.Value
	answer = func(id raft.ServerID) bool { return !first.CompareAndSwap(nil, id) } // the first asked refuses
	check(2, "the first refuses")
	release := make(chan struct{})
	first = atomic.Value{}
	ln.beats.hedge = hedgeDelay
	answer = func(id raft.ServerID) bool {
		if first.CompareAndSwap(nil, id) {
			<-release // stalls past hedgeDelay
		}
		return true
	}
	start := time.Now()
	check(2, "the first stalls")
	close(release)
	if el := time.Since(start); el > time.Second {
		t.Fatalf("a stalled member held the check %v", el)
	}
}
