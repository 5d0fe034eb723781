package replication

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestCoalescerHold: the leader's hold returns at once when there is no
// load to wait for (previous entry under holdMinWrites, nothing pending, or
// enough pending), waits until as many writes as the previous entry are
// pending, and never past its bound, the context's end or close.
func TestCoalescerHold(t *testing.T) {
	ctx := context.Background()
	queue := func(c *coalescer, writes int) {
		for range writes {
			if !c.tryAdd(newWriteReq([]byte("w"))) {
				t.Fatal("queue full")
			}
		}
	}
	quick := func(name string, f func()) {
		t.Helper()
		start := time.Now()
		f()
		if d := time.Since(start); d > time.Second {
			t.Fatalf("%s: held %v, want no wait", name, d)
		}
	}
	long := 10 * time.Second

	c := newCoalescer(256, 1000)
	queue(c, 1)
	quick("small previous entry", func() { c.hold(ctx, holdMinWrites-1, long) })
	quick("hold off", func() { c.hold(ctx, 50, 0) })
	c.take()
	quick("nothing pending", func() { c.hold(ctx, 50, long) })
	queue(c, 20)
	quick("enough pending", func() { c.hold(ctx, 20, long) })
	quick("want above MaxBatch", func() { newCoalescerWith(t, 10, 12).hold(ctx, 100, long) })

	// Writes that arrive end the hold once there are as many as wanted.
	c.take()
	queue(c, 3)
	done := make(chan time.Duration)
	go func() {
		start := time.Now()
		c.hold(ctx, 10, long)
		done <- time.Since(start)
	}()
	time.Sleep(20 * time.Millisecond)
	queue(c, 4) // 7: not yet
	select {
	case d := <-done:
		t.Fatalf("hold returned after %v with 7 of 10 writes pending", d)
	case <-time.After(50 * time.Millisecond):
	}
	queue(c, 3) // 10
	if d := <-done; d > 5*time.Second {
		t.Fatalf("hold took %v after enough writes arrived", d)
	}
	if got := c.take(); len(got) != 10 {
		t.Fatalf("took %d requests after the hold, want 10", len(got))
	}

	// The bound.
	queue(c, 1)
	start := time.Now()
	c.hold(ctx, 50, 30*time.Millisecond)
	if d := time.Since(start); d < 30*time.Millisecond || d > 5*time.Second {
		t.Fatalf("hold with too few writes took %v, want its bound (30ms)", d)
	}

	// The context, and close.
	cctx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	quick("context ended", func() { c.hold(cctx, 50, long) })
	go func() { time.Sleep(20 * time.Millisecond); c.close() }()
	quick("closed", func() { c.hold(ctx, 50, long) })
}

func newCoalescerWith(t *testing.T, maxBatch, pending int) *coalescer {
	c := newCoalescer(maxBatch, 1000)
	for range pending {
		if !c.tryAdd(newWriteReq([]byte("w"))) {
			t.Fatal("queue full")
		}
	}
	return c
}

// TestLeaderHoldUnderConcurrentWrites: many writers on every member, with
// the leader's hold in force (its default) and with a long one: every
// write is answered (one record inserted), every member ends with all of
// them.
func TestLeaderHoldUnderConcurrentWrites(t *testing.T) {
	for _, hold := range []time.Duration{0, 50 * time.Millisecond} { // 0: the default
		t.Run(fmt.Sprint("hold=", hold), func(t *testing.T) {
			c := newTestCluster(t, 3, func(cfg *Config) {
				fastConfig(cfg)
				cfg.leaderHold = hold
			})
			c.waitLeader()
			const writers, each = 24, 15
			var wg sync.WaitGroup
			errs := make(chan error, writers*each)
			for w := range writers {
				tn := c.nodes[w%len(c.nodes)]
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						id := w*1000 + i
						out, err := c.writeAsync(tn, fmt.Sprintf(`["insert","people",{"id":%d}]`, id))
						if err != nil {
							errs <- fmt.Errorf("write %d on %s: %w", id, tn.id, err)
							return
						}
						if string(out) != "1" {
							errs <- fmt.Errorf("write %d on %s answered %s", id, tn.id, out)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			for _, tn := range c.nodes {
				if got := c.mustRead(tn, `["count","people"]`); got != fmt.Sprint(writers*each) {
					t.Fatalf("count on %s = %s, want %d", tn.id, got, writers*each)
				}
			}
		})
	}
}
