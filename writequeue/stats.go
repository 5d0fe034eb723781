package writequeue

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// BatchSizeBuckets is the number of buckets of Stats.BatchSizes.
const BatchSizeBuckets = 12

// Stats are the queue's counters since New. All counts only grow, so a
// metrics exporter can turn them into rates and a histogram.
type Stats struct {
	// Batches is the number of batches handed to Env.Apply, and Requests the
	// number of requests in them (the sum of batch sizes). Requests/Batches
	// is the mean batch size.
	Batches  uint64
	Requests uint64
	// MaxBatch is the largest batch handed to Env.Apply.
	MaxBatch int
	// BatchSizes[i] counts the batches of 2^i to 2^(i+1)-1 requests; the
	// last bucket also counts every larger batch.
	BatchSizes [BatchSizeBuckets]uint64
	// FailedBatches and FailedRequests count the batches (and their
	// requests) whose Apply or Persist returned an error or panicked.
	FailedBatches  uint64
	FailedRequests uint64
	// Rejected counts requests answered with the queue's failure without
	// reaching the Env, because they were queued when the queue failed.
	Rejected uint64
	// Canceled counts Submits that returned ctx.Err(): their ctx ended
	// before the writer took the request (while it waited for room or in
	// the queue), so the request was never applied.
	Canceled uint64
	// Pending is the number of requests queued right now, not yet taken.
	Pending int
}

// MeanBatch returns Requests/Batches, or 0 before the first batch.
func (s Stats) MeanBatch() float64 {
	if s.Batches == 0 {
		return 0
	}
	return float64(s.Requests) / float64(s.Batches)
}

// counters hold the statistics. The writer updates the batch counters once
// per batch; callers update canceled.
type counters struct {
	canceled atomic.Uint64

	// mu guards the fields below, so that Stats sees one batch's update
	// whole. Only the writer writes them.
	mu             sync.Mutex
	batches        uint64
	requests       uint64
	maxBatch       int
	sizes          [BatchSizeBuckets]uint64
	failedBatches  uint64
	failedRequests uint64
	rejectedN      uint64
}

// batch counts one batch of n requests handed to the Env.
func (c *counters) batch(n int, failed bool) {
	c.mu.Lock()
	c.batches++
	c.requests += uint64(n)
	c.maxBatch = max(c.maxBatch, n)
	c.sizes[min(bits.Len(uint(n))-1, BatchSizeBuckets-1)]++
	if failed {
		c.failedBatches++
		c.failedRequests += uint64(n)
	}
	c.mu.Unlock()
}

// rejected counts n requests answered with the queue's failure.
func (c *counters) rejected(n int) {
	c.mu.Lock()
	c.rejectedN += uint64(n)
	c.mu.Unlock()
}

// Stats returns a snapshot of the queue's counters. It is safe to call from
// any goroutine at any time, also after Close.
func (q *Queue[R]) Stats() Stats {
	q.mu.Lock()
	pending := len(q.pending)
	q.mu.Unlock()
	c := &q.counters
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{
		Batches:        c.batches,
		Requests:       c.requests,
		MaxBatch:       c.maxBatch,
		BatchSizes:     c.sizes,
		FailedBatches:  c.failedBatches,
		FailedRequests: c.failedRequests,
		Rejected:       c.rejectedN,
		Canceled:       c.canceled.Load(),
		Pending:        pending,
	}
}
