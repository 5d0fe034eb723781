package writequeue

// TryCommit commits batch as one batch on the caller's goroutine, the way
// the writer goroutine commits the batches it takes (Apply → Persist →
// Publish, or Abort), if it can do so at once: the writer is idle, nothing
// is queued, no other TryCommit runs, and the queue is neither closed nor
// failed. It then reports true with the batch's error: nil once the batch
// was applied, persisted and published (each request's own outcome is
// whatever Env.Apply recorded in it), the error of Apply or Persist, or a
// *PanicError that fails the queue as a panic on the writer does. It
// reports false having done nothing otherwise, or when batch is empty or
// longer than MaxBatch; the caller then submits the requests as usual.
//
// It spares the hand-off to the writer goroutine and back: a caller that
// gathers the requests of many clients (a server's event loop) makes them
// durable with one fsync and answers them itself, without waking anyone,
// as Redis's event loop does with appendfsync always. The caller blocks
// meanwhile, as Submit would. Submits that arrive meanwhile queue up and are
// taken by the writer goroutine once TryCommit returns; Close waits for it.
func (q *Queue[R]) TryCommit(batch []R) (error, bool) {
	if len(batch) == 0 || len(batch) > q.opts.MaxBatch {
		return nil, false
	}
	q.mu.Lock()
	if q.writing || q.inline || len(q.pending) > 0 || q.closed || q.failed != nil {
		q.mu.Unlock()
		return nil, false
	}
	q.inline = true
	q.mu.Unlock()

	err := q.commit(batch)
	q.counters.batch(len(batch), err != nil)

	q.mu.Lock()
	q.inline = false
	if len(q.pending) > 0 || q.closed || q.failed != nil {
		// The writer waits for the Env (or to see the queue closed).
		q.signal()
	} else {
		// The writer is idle (it cannot have taken a batch meanwhile),
		// and may have begun waiting during the commit, when Submits were
		// not to wake it: the next one must.
		q.wakeAt = 1
	}
	q.mu.Unlock()
	return err, true
}

// MaxBatch returns the most requests the queue commits as one batch
// (Options.MaxBatch, or its default): the longest batch TryCommit takes.
func (q *Queue[R]) MaxBatch() int { return q.opts.MaxBatch }
