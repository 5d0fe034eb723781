package writequeue

import "sync/atomic"

// States of a request. A request is created queued; exactly one of the
// writer (queued → taken) and its caller (queued → canceled) wins the
// compare-and-swap that moves it on, so a request is either applied or
// reported as canceled, never both and never neither.
const (
	stateQueued uint32 = iota
	stateTaken
	stateCanceled
)

// request is one pending Submit. Requests are pooled per queue, with their
// done channel, so that a Submit allocates nothing in the steady state.
//
// Ownership: the caller owns a request until it is queued. Then:
//   - taken: the writer sends exactly one value on done and never touches
//     the request again; the caller receives it and returns the request to
//     the pool.
//   - canceled: the caller returns at once and never touches the request
//     again; the writer drops it from the batch and returns it to the pool.
//   - asynchronous (notify set, SubmitAsync): never canceled; the writer
//     takes it, returns it to the pool and then calls notify once.
type request[R any] struct {
	r     R
	state atomic.Uint32
	done  chan error // capacity 1: the writer never blocks answering
	// notify, when set, is called by the writer instead of a send on done.
	notify func(error)
}

// newRequest is the pool's constructor.
func newRequest[R any]() any {
	return &request[R]{done: make(chan error, 1)}
}

// getRequest returns a queued request carrying r.
func (q *Queue[R]) getRequest(r R) *request[R] {
	req := q.pool.Get().(*request[R])
	req.r = r
	req.state.Store(stateQueued)
	return req
}

// putRequest returns req to the pool. Its done channel must be empty.
func (q *Queue[R]) putRequest(req *request[R]) {
	var zero R
	req.r = zero // do not keep the caller's request reachable
	req.notify = nil
	q.pool.Put(req)
}
