package replication

import (
	"context"
	"fmt"
	"testing"
)

// TestCoalescerKeepsForwardedEntriesWhole: an entry forwarded by a follower
// goes into one of the leader's entries whole (its writes share one
// outcome), whole requests are taken in order up to MaxBatch writes, and a
// request larger than MaxBatch is still taken, alone.
func TestCoalescerKeepsForwardedEntriesWhole(t *testing.T) {
	c := newCoalescer(4, 100)
	mk := func(n int) *writeReq {
		r := &writeReq{done: make(chan struct{})}
		for i := range n {
			r.reqs = append(r.reqs, []byte(fmt.Sprint(i)))
		}
		return r
	}
	one1, fwd3, one2, fwd6, one3 := mk(1), mk(3), mk(1), mk(6), mk(1)
	for _, r := range []*writeReq{one1, fwd3, one2, fwd6, one3} {
		if err := c.add(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	want := [][]*writeReq{{one1, fwd3}, {one2}, {fwd6}, {one3}}
	for i, w := range want {
		got := c.take()
		if len(got) != len(w) {
			t.Fatalf("entry %d: %d requests, want %d", i, len(got), len(w))
		}
		for j := range w {
			if got[j] != w[j] {
				t.Fatalf("entry %d: request %d out of order", i, j)
			}
		}
		b := newBatch(got)
		if n, _ := countWrites(b.entry[1:]); n != b.n {
			t.Fatalf("entry %d: %d writes encoded, batch says %d", i, n, b.n)
		}
	}
	if c.take() != nil {
		t.Fatal("a request left over")
	}
	if st := c.snapshot(); st.Writes != 12 || st.Entries != 4 || st.MaxBatch != 6 {
		t.Fatalf("stats %+v, want 12 writes in 4 entries, max 6", st)
	}
}

// TestCoalescerTryAdd: tryAdd (StartWrite) queues without waiting while
// there is room, declines a full queue and a closed coalescer, and what it
// declined is not queued.
func TestCoalescerTryAdd(t *testing.T) {
	c := newCoalescer(4, 2)
	a, b, full := newWriteReq([]byte("a")), newWriteReq([]byte("b")), newWriteReq([]byte("c"))
	if !c.tryAdd(a) || !c.tryAdd(b) {
		t.Fatal("tryAdd declined a queue with room")
	}
	if c.tryAdd(full) {
		t.Fatal("tryAdd queued past the queue's size")
	}
	got := c.take()
	if len(got) != 2 || got[0] != a || got[1] != b {
		t.Fatalf("took %d requests, want a and b in order", len(got))
	}
	c.close()
	if c.tryAdd(full) {
		t.Fatal("tryAdd queued on a closed coalescer")
	}
	if left := c.close(); len(left) != 0 {
		t.Fatalf("%d requests left in a closed coalescer, want none", len(left))
	}
}
