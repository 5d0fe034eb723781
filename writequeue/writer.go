package writequeue

import (
	"runtime"
	"runtime/debug"
	"time"
)

// writer is the state private to the writer goroutine, reused from batch to
// batch so that the steady state allocates nothing.
type writer[R any] struct {
	taken []*request[R] // the requests of the current batch
	batch []R           // their R values, handed to the Env
	timer *time.Timer   // the linger timer, nil when MaxDelay is 0
}

// run is the writer goroutine: it waits for requests, takes up to MaxBatch of
// them, commits them as one batch and answers their callers, until the queue
// is closed and empty.
func (q *Queue[R]) run() {
	defer close(q.stopped)
	w := &writer[R]{
		taken: make([]*request[R], 0, q.opts.MaxBatch),
		batch: make([]R, 0, q.opts.MaxBatch),
	}
	if q.opts.MaxDelay > 0 {
		w.timer = time.NewTimer(time.Hour)
		w.timer.Stop()
	}
	for q.take(w) {
		q.runBatch(w)
	}
}

// take waits until requests are queued and moves up to MaxBatch of them,
// oldest first, into w.taken. It returns false when the queue is closed and
// nothing is left to do.
func (q *Queue[R]) take(w *writer[R]) bool {
	q.mu.Lock()
	q.writing = false // the previous batch, if any, is answered
	for len(q.pending) == 0 || q.inline {
		if q.closed && !q.inline {
			q.mu.Unlock()
			return false
		}
		// While a TryCommit holds the Env it wakes the writer when it ends
		// (if something is pending or the queue closed).
		q.wakeAt = 1
		if q.inline {
			q.wakeAt = wakeNever
		}
		q.mu.Unlock()
		<-q.wake
		q.mu.Lock()
	}
	// full is the most requests the queue can offer the writer at once.
	full := min(q.opts.MaxBatch, q.opts.QueueSize)
	if len(q.pending) < full {
		// Yield once so that goroutines made runnable by the previous
		// batch's answers (or by the Submit that just woke us) can queue
		// and join this batch. Without it a fast Env degenerates into
		// batches of one, the writer and each submitter passing the
		// processor back and forth; with nothing else runnable it costs
		// about 100 ns. It is not a poll: the writer yields once per batch.
		q.mu.Unlock()
		runtime.Gosched()
		q.mu.Lock()
	}
	if w.timer != nil && len(q.pending) < full && !q.closed && q.failed == nil {
		// Linger: let the batch grow until it is full, Close is called, or
		// MaxDelay has passed.
		q.wakeAt = full
		q.mu.Unlock()
		w.timer.Reset(q.opts.MaxDelay)
		select {
		case <-q.wake:
		case <-w.timer.C:
		}
		w.timer.Stop()
		q.mu.Lock()
	}
	q.wakeAt = wakeNever
	q.writing = true
	// Drop a token left by a Submit that raced the linger timer (or by a
	// Close, whose flag the next take reads under mu anyway), so that it
	// cannot cut the next linger short.
	select {
	case <-q.wake:
	default:
	}
	n := min(len(q.pending), q.opts.MaxBatch)
	w.taken = append(w.taken[:0], q.pending[:n]...)
	// Shift the rest down. This copies at most QueueSize pointers, and only
	// when a backlog exceeds MaxBatch.
	rest := copy(q.pending, q.pending[n:])
	clear(q.pending[rest:])
	q.pending = q.pending[:rest]
	q.roomLocked()
	q.mu.Unlock()
	return true
}

// runBatch takes each request of w.taken that its caller has not canceled,
// commits them as one batch and answers their callers.
func (q *Queue[R]) runBatch(w *writer[R]) {
	live := w.taken[:0]
	for _, req := range w.taken {
		if req.state.CompareAndSwap(stateQueued, stateTaken) {
			live = append(live, req)
			w.batch = append(w.batch, req.r)
		} else {
			q.putRequest(req) // canceled: its caller has let go of it
		}
	}
	clear(w.taken[len(live):])
	if len(live) > 0 {
		err := q.failed
		if err == nil {
			err = q.commit(w.batch)
			q.counters.batch(len(live), err != nil)
		} else {
			q.counters.rejected(len(live))
		}
		for _, req := range live {
			if notify := req.notify; notify != nil {
				q.putRequest(req)
				notify(err)
				continue
			}
			req.done <- err // never blocks: capacity 1, one send per request
		}
	}
	clear(live)
	clear(w.batch)
	w.taken = live[:0]
	w.batch = w.batch[:0]
}

// commit runs one batch through the Env: Apply, Persist, Publish, or Abort
// after an error. A panic in any of them is recovered and fails the queue.
func (q *Queue[R]) commit(batch []R) (err error) {
	method := "Apply"
	defer func() {
		if v := recover(); v != nil {
			err = q.fail(batch, method, v)
		}
	}()
	if err := q.env.Apply(batch); err != nil {
		method = "Abort"
		q.env.Abort(batch, err)
		return err
	}
	method = "Persist"
	if err := q.env.Persist(batch); err != nil {
		method = "Abort"
		q.env.Abort(batch, err)
		return err
	}
	method = "Publish"
	q.env.Publish(batch)
	return nil
}

// fail records the panic v of Env.<method> as the queue's permanent error,
// gives the Env a chance to discard its working state (unless Abort itself
// panicked), and returns the error.
func (q *Queue[R]) fail(batch []R, method string, v any) error {
	perr := &PanicError{Method: method, Value: v, Stack: debug.Stack()}
	q.mu.Lock()
	q.failed = perr
	q.roomLocked() // Submits waiting for room must see the failure
	q.mu.Unlock()
	if method != "Abort" {
		func() {
			defer func() { _ = recover() }() // the queue has already failed
			q.env.Abort(batch, perr)
		}()
	}
	return perr
}
