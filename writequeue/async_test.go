package writequeue

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// TestSubmitAsync: asynchronous requests are applied in submission order
// among synchronous ones, each done is called exactly once with nil after
// its batch is published, and a request's own outcome is in it by then.
func TestSubmitAsync(t *testing.T) {
	env := newFakeEnv(t)
	q := newQueue(t, env, Options{})
	const n = 500
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		calls = map[int]int{}
	)
	reqs := make([]*fakeReq, n)
	for i := range n {
		reqs[i] = &fakeReq{id: i, fail: i%7 == 0}
		if i%3 == 0 {
			if err := q.Submit(context.Background(), reqs[i]); err != nil {
				t.Fatal(err)
			}
			continue
		}
		wg.Add(1)
		r := reqs[i]
		err := q.SubmitAsync(context.Background(), r, func(err error) {
			defer wg.Done()
			if err != nil {
				t.Errorf("request %d: %v", r.id, err)
			}
			if r.pos == 0 && !r.fail {
				t.Errorf("request %d: done before it was applied", r.id)
			}
			mu.Lock()
			calls[r.id]++
			mu.Unlock()
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	for i, r := range reqs {
		if i%3 != 0 && calls[i] != 1 {
			t.Errorf("request %d: done called %d times", i, calls[i])
		}
		if r.fail != (r.err != nil) {
			t.Errorf("request %d: own outcome %v", i, r.err)
		}
		if i > 0 && !reqs[i-1].fail && !r.fail && r.pos <= reqs[i-1].pos {
			t.Errorf("request %d applied at %d, before request %d (%d)", i, r.pos, i-1, reqs[i-1].pos)
		}
	}
}

// TestSubmitAsyncRefused: SubmitAsync never waits: a full queue is
// ErrFull, an ended ctx its error, a closed queue ErrClosed, and done is
// then never called.
func TestSubmitAsyncRefused(t *testing.T) {
	env := newFakeEnv(t)
	env.gate = make(chan struct{})
	env.started = make(chan struct{}, 1)
	q := newQueue(t, env, Options{QueueSize: 2})
	_, wait := queueBehind(t, q, env, 0, 1, 2) // 0 persisting, 1 and 2 queued
	never := func(err error) { t.Errorf("done called with %v", err) }
	if err := q.SubmitAsync(context.Background(), &fakeReq{id: 10}, never); !errors.Is(err, ErrFull) {
		t.Fatalf("full queue: %v, want ErrFull", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.SubmitAsync(ctx, &fakeReq{id: 11}, never); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended ctx: %v", err)
	}
	close(env.gate)
	for _, err := range wait() {
		if err != nil {
			t.Fatal(err)
		}
	}
	q.Close()
	if err := q.SubmitAsync(context.Background(), &fakeReq{id: 12}, never); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed queue: %v, want ErrClosed", err)
	}
}

// TestSubmitAsyncPanic: when the Env panics, the async requests of the
// failing batch and those queued behind it get the *PanicError.
func TestSubmitAsyncPanic(t *testing.T) {
	env := newFakeEnv(t)
	env.gate = make(chan struct{})
	env.started = make(chan struct{}, 1)
	env.panicIn, env.panicID = "Apply", 2
	q := newQueue(t, env, Options{MaxBatch: 1})
	_, wait := queueBehind(t, q, env, 0)
	errs := make(chan error, 2)
	for _, id := range []int{2, 3} {
		if err := q.SubmitAsync(context.Background(), &fakeReq{id: id}, func(err error) { errs <- err }); err != nil {
			t.Fatal(err)
		}
	}
	close(env.gate)
	wait()
	for range 2 {
		if err := <-errs; !errors.Is(err, ErrFailed) {
			t.Fatalf("done got %v, want ErrFailed", err)
		}
	}
}
