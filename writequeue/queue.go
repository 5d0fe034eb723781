package writequeue

import (
	"context"
	"errors"
	"math"
	"sync"
)

// Env is the environment the writer applies batches through; the database
// implements it. The queue calls every method from its one writer goroutine
// (or from a caller of TryCommit while the writer is idle), never
// concurrently and never after Close has returned, so the working state
// the methods share needs no locking of its own.
//
// For one batch the queue calls, in this order:
//
//	Apply ─ok─► Persist ─ok─► Publish            the batch succeeded
//	Apply ─err─► Abort                           every request gets Apply's error
//	Apply ─ok─► Persist ─err─► Abort             every request gets Persist's error
//
// A batch never contains a request whose caller gave up before the writer
// took it. Requests are in submission order.
//
// R is usually a pointer (for example *Write): Apply records each request's
// own outcome inside it, and the caller reads that outcome after Submit
// returns nil.
type Env[R any] interface {
	// Apply applies the batch's requests in order to the writer's working
	// state, recording each request's own outcome inside R: a request that
	// fails on its own (a constraint, a bad document) is answered through R
	// and does not affect the others. Apply returns an error only if the
	// whole batch failed; then nothing of it may be published, Abort is
	// called, and every request of the batch gets that error from Submit.
	Apply(batch []R) error
	// Persist makes the applied batch durable, for example by appending its
	// records to the log and calling fsync once. An error fails every request
	// of the batch and Abort is called; the queue then goes on with the next
	// batch, so an Env whose log is broken for good must keep failing
	// (Persist or Apply returning its sticky error) on its own.
	Persist(batch []R) error
	// Publish makes the batch's new state visible to readers, typically one
	// atomic store. It cannot fail.
	Publish(batch []R)
	// Abort discards the working state after Apply or Persist returned err,
	// so that the next batch starts from the last published state. It is
	// also called, with the *PanicError, when Apply, Persist or Publish
	// panics (after a Publish panic readers may already see part of the
	// batch; the queue refuses every later request either way).
	Abort(batch []R, err error)
}

// wakeNever is Queue.wakeAt while the writer is busy: no Submit wakes it.
const wakeNever = math.MaxInt

// Queue is the single writer: callers on any goroutine Submit requests, and
// one goroutine owned by the queue takes them in batches, applies, persists
// and publishes each batch through the Env, then answers every caller of the
// batch. Submit, Stats and Close are safe for concurrent use.
type Queue[R any] struct {
	env  Env[R]
	opts Options

	// wake holds at most one token; a Submit or Close sends one (without
	// blocking) to rouse the writer when it is idle or lingering.
	wake chan struct{}
	// stopped is closed when the writer goroutine has returned.
	stopped chan struct{}
	// pool recycles *request[R] together with their done channels.
	pool sync.Pool

	// mu guards the fields below. It is held only for short, non-blocking
	// sections, by Submit, Close, Stats and the writer.
	mu sync.Mutex
	// pending are the queued requests, oldest first, not yet taken.
	pending []*request[R]
	// wakeAt is the pending length at which a Submit wakes the writer: 1
	// while it is idle, MaxBatch while it lingers, wakeNever while busy.
	wakeAt int
	// space, when not nil, is closed (and reset) as soon as pending has room
	// again; Submits that found the queue full wait on it.
	space chan struct{}
	// closed is set by Close; Submit then returns ErrClosed.
	closed bool
	// failed is set when an Env method panicked; Submit then returns it.
	// The writer reads it without mu: it is set only by whoever holds the
	// Env (the writer, or a TryCommit the writer waited for under mu).
	failed error
	// writing is set while the writer goroutine commits a batch (from
	// take until its next take), inline while a caller of TryCommit does:
	// at most one of them holds the Env at a time.
	writing bool
	inline  bool

	// counters are the statistics; see stats.go.
	counters counters
}

// New validates opts, starts the writer goroutine and returns the queue.
// The caller must call Close to stop the goroutine.
func New[R any](env Env[R], opts Options) (*Queue[R], error) {
	if env == nil {
		return nil, errors.New("writequeue: nil Env")
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	q := &Queue[R]{
		env:     env,
		opts:    opts,
		wake:    make(chan struct{}, 1),
		stopped: make(chan struct{}),
		pool:    sync.Pool{New: newRequest[R]},
		pending: make([]*request[R], 0, min(opts.QueueSize, 1024)),
		wakeAt:  wakeNever,
	}
	go q.run()
	return q, nil
}

// Submit enqueues r and waits for its batch. It returns:
//   - nil once r was applied, persisted and published; r's own outcome is
//     whatever Env.Apply recorded inside r;
//   - the error of Env.Apply or Env.Persist if r's whole batch failed;
//   - ctx.Err() if ctx ended before the writer took r: r is then never
//     applied. Once the writer has taken r, Submit waits for r's batch to
//     finish even if ctx ends, because the write cannot be un-applied;
//   - ErrClosed if Close was called before r was queued;
//   - a *PanicError (errors.Is ErrFailed) if the queue failed.
//
// When the queue is full Submit blocks until there is room or ctx ends.
func (q *Queue[R]) Submit(ctx context.Context, r R) error {
	if err := ctx.Err(); err != nil {
		q.counters.canceled.Add(1)
		return err
	}
	req := q.getRequest(r)
	if err := q.enqueue(ctx, req); err != nil {
		q.putRequest(req)
		return err
	}
	select {
	case err := <-req.done:
		q.putRequest(req)
		return err
	case <-ctx.Done():
		if req.state.CompareAndSwap(stateQueued, stateCanceled) {
			// The writer will drop req from its batch and recycle it.
			q.counters.canceled.Add(1)
			return ctx.Err()
		}
		// The writer took req first: its batch runs to the end.
		err := <-req.done
		q.putRequest(req)
		return err
	}
}

// SubmitAsync enqueues r without waiting for it: done is called once, on
// the writer goroutine, with what Submit would have returned (nil once r
// was applied, persisted and published; the batch's error; a *PanicError).
// done must be quick and must not block: it delays every later batch. It
// must not call Submit or SubmitAsync.
//
// SubmitAsync returns an error, and never calls done, when r cannot be
// queued: ctx has already ended (ctx.Err()), the queue is closed
// (ErrClosed) or failed (its *PanicError), or it is full (ErrFull: Submit
// would wait for room; SubmitAsync never waits). Once queued, r is always
// applied: ctx is not watched any more, as by Submit once the writer has
// taken its request.
func (q *Queue[R]) SubmitAsync(ctx context.Context, r R, done func(error)) error {
	if err := ctx.Err(); err != nil {
		q.counters.canceled.Add(1)
		return err
	}
	req := q.getRequest(r)
	req.notify = done
	if err := q.enqueueWait(ctx, req, false); err != nil {
		q.putRequest(req)
		return err
	}
	return nil
}

// enqueue appends req to pending, waiting for room while the queue is full.
func (q *Queue[R]) enqueue(ctx context.Context, req *request[R]) error {
	return q.enqueueWait(ctx, req, true)
}

// enqueueWait appends req to pending; when the queue is full it waits
// for room if wait is set, else returns ErrFull.
func (q *Queue[R]) enqueueWait(ctx context.Context, req *request[R], wait bool) error {
	q.mu.Lock()
	for {
		if q.closed {
			q.mu.Unlock()
			return ErrClosed
		}
		if q.failed != nil {
			err := q.failed
			q.mu.Unlock()
			return err
		}
		if len(q.pending) < q.opts.QueueSize {
			break
		}
		if !wait {
			q.mu.Unlock()
			return ErrFull
		}
		space := q.space
		if space == nil {
			space = make(chan struct{})
			q.space = space
		}
		q.mu.Unlock()
		select {
		case <-space:
		case <-ctx.Done():
			q.counters.canceled.Add(1)
			return ctx.Err()
		}
		q.mu.Lock()
	}
	q.pending = append(q.pending, req)
	if len(q.pending) >= q.wakeAt {
		q.wakeAt = wakeNever
		q.signal()
	}
	q.mu.Unlock()
	return nil
}

// signal leaves a wake-up token for the writer unless one is already there.
func (q *Queue[R]) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// roomLocked wakes the Submits waiting for room. q.mu must be held.
func (q *Queue[R]) roomLocked() {
	if q.space != nil {
		close(q.space)
		q.space = nil
	}
}

// Close stops accepting requests (Submit returns ErrClosed from now on),
// lets the writer finish every request already queued, and waits for the
// writer goroutine to return; it therefore blocks as long as an Env method
// does. Submits blocked on a full queue return ErrClosed. Close may be called more than once; it returns the error the
// queue failed with (a *PanicError), or nil.
func (q *Queue[R]) Close() error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		q.roomLocked()
		q.signal()
	}
	q.mu.Unlock()
	<-q.stopped
	return q.failed // written by the writer before stopped was closed
}
