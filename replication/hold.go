package replication

import (
	"context"
	"time"
)

// Leader hold: under load, the leader's next entry waits a little for
// writes before it is sent.
//
// The leader keeps one entry of its own in flight (coalesce.go); the next
// one takes every write that arrived meanwhile. On two cores shared by
// three members and the clients, most of a member's CPU per replicated
// insert is per entry, not per write: the log's sync on every member,
// raft's append and its answer, the commit notices, the forwarded
// requests, the wake-ups between them. When an entry was committed, some
// of the writes its answers released are already on their way back (the
// clients' next writes, the followers' forwarded entries), and an entry
// sent at once leaves them for the one after. So when the previous entry
// carried at least holdMinWrites writes (several writers are busy: a lone
// writer never waits), the sender waits until as many writes are pending
// as the previous entry carried, at most leaderHold.
//
// Measured (three serve processes, 64 connections of inserts spread over
// them, docs/cluster-cpu.sh, interleaved): doc.go, "Leader hold".
const (
	// defaultLeaderHold bounds the wait for more writes.
	defaultLeaderHold = time.Millisecond
	// holdMinWrites: a previous entry with fewer writes means little load;
	// the next entry goes at once.
	holdMinWrites = 8
)

// hold waits until want writes are pending (at most the queue's MaxBatch),
// for at most max, while some but fewer are pending; it returns at once
// when none is pending, when want is below holdMinWrites or max is not
// positive, or when ctx ends. It consumes wake tokens: the caller takes
// what is pending right after.
func (c *coalescer) hold(ctx context.Context, want int, max time.Duration) {
	if max <= 0 || want < holdMinWrites {
		return
	}
	want = min(want, c.maxBatch)
	enough := func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.pendingWrites == 0 || c.pendingWrites >= want || c.closed
	}
	if enough() {
		return
	}
	t := time.NewTimer(max)
	defer t.Stop()
	for {
		select {
		case <-c.wake:
		case <-t.C:
			return
		case <-ctx.Done():
			return
		}
		if enough() {
			return
		}
	}
}
