package replication

import (
	"context"
	"runtime"
	"sync"
)

// coalescer gathers the writes of concurrent callers into Raft entries. A
// write waits in pending until the node's sender goroutine takes it,
// together with every write waiting then (up to MaxBatch), as one entry;
// the sender hands each entry to a goroutine of its own (commitBatch), so
// that several entries are in flight at once: Raft pipelines them, and its
// leader writes every entry waiting with one fsync (BatchApplyCh). This is
// the whole of the cluster's write batching: nothing is applied or
// published here, the state machine does both once the entry is committed.
type coalescer struct {
	maxBatch, queueSize int
	// wake holds at most one token: writes were queued.
	wake chan struct{}

	// mu guards the fields below.
	mu      sync.Mutex
	pending []*writeReq
	// space, when not nil, is closed as soon as pending has room again;
	// writers that found the queue full wait on it.
	space  chan struct{}
	closed bool
	stats  WriteStats
}

// WriteStats are the counters of a node's write path since Open
// (Node.WriteStats). All counts only grow except Pending.
type WriteStats struct {
	// Writes is the number of writes sent in entries, Entries the number
	// of those entries (Writes/Entries is the mean batch).
	Writes, Entries uint64
	// MaxBatch is the most writes sent in one entry.
	MaxBatch int
	// Failed counts the writes whose entry failed as a whole (no leader,
	// outcome unknown, the node closed).
	Failed uint64
	// Canceled counts writes whose context ended before they were sent:
	// they were never applied.
	Canceled uint64
	// Pending is the number of writes waiting to be sent right now.
	Pending int
}

func newCoalescer(maxBatch, queueSize int) *coalescer {
	return &coalescer{maxBatch: maxBatch, queueSize: queueSize, wake: make(chan struct{}, 1)}
}

// add queues r, waiting for room while the queue is full. It fails with
// ErrClosed once the coalescer is closed, or with ctx's error.
func (c *coalescer) add(ctx context.Context, r *writeReq) error {
	c.mu.Lock()
	for !c.closed && len(c.pending) >= c.queueSize {
		if c.space == nil {
			c.space = make(chan struct{})
		}
		space := c.space
		c.mu.Unlock()
		select {
		case <-space:
		case <-ctx.Done():
			c.mu.Lock()
			c.stats.Canceled++
			c.mu.Unlock()
			return ctx.Err()
		}
		c.mu.Lock()
	}
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.pending = append(c.pending, r)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

// cancel removes r from the queue if it was not sent yet and reports
// whether it did.
func (c *coalescer) cancel(r *writeReq) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.pending {
		if p == r {
			c.pending = append(c.pending[:i], c.pending[i+1:]...)
			c.stats.Canceled++
			c.roomLocked()
			return true
		}
	}
	return false
}

// take removes up to maxBatch of the oldest pending writes and counts them
// as one entry; it returns nil when none is pending.
func (c *coalescer) take() []*writeReq {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := min(len(c.pending), c.maxBatch)
	if n == 0 {
		return nil
	}
	reqs := make([]*writeReq, n)
	copy(reqs, c.pending)
	c.pending = append(c.pending[:0], c.pending[n:]...)
	c.stats.Writes += uint64(n)
	c.stats.Entries++
	c.stats.MaxBatch = max(c.stats.MaxBatch, n)
	c.roomLocked()
	return reqs
}

// close refuses new writes and returns the pending ones, never to be sent.
func (c *coalescer) close() []*writeReq {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	reqs := c.pending
	c.pending = nil
	c.roomLocked()
	return reqs
}

func (c *coalescer) failed(n int) {
	c.mu.Lock()
	c.stats.Failed += uint64(n)
	c.mu.Unlock()
}

func (c *coalescer) snapshot() WriteStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Pending = len(c.pending)
	return s
}

// roomLocked wakes the writers waiting for room. c.mu must be held.
func (c *coalescer) roomLocked() {
	if c.space != nil {
		close(c.space)
		c.space = nil
	}
}

// send is the node's sender goroutine: it turns pending writes into
// entries and starts their commits until the node closes; then it answers
// the writes still pending with ErrClosed.
func (n *Node) send() {
	c := n.sendq
	for {
		select {
		case <-c.wake:
		case <-n.ctx.Done():
			for _, r := range c.close() {
				r.finish(nil, ErrClosed)
			}
			return
		}
		// Yield once so that writers made runnable by the previous
		// answers can queue and join this entry (without it a fast path
		// degenerates into entries of one write).
		runtime.Gosched()
		for {
			reqs := c.take()
			if reqs == nil {
				break
			}
			b := newBatch(reqs)
			if !n.goOwned(func() { n.commitBatch(b) }) {
				b.finish(nil, ErrClosed)
				c.failed(len(reqs))
			}
		}
	}
}

// WriteStats returns the counters of the node's write path.
func (n *Node) WriteStats() WriteStats { return n.sendq.snapshot() }
