package writequeue

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestTryCommit: an idle queue commits the batch on the caller's goroutine
// (one Apply, one Persist, published before it returns, counted in Stats);
// it declines, doing nothing, while the writer holds the Env, while a
// request is queued, for an empty or oversized batch and after Close.
func TestTryCommit(t *testing.T) {
	env := newFakeEnv(t)
	q := newQueue(t, env, Options{MaxBatch: 4})
	batch := []*fakeReq{{id: 1}, {id: 2, fail: true}, {id: 3}}
	err, ok := q.TryCommit(batch)
	if !ok || err != nil {
		t.Fatalf("TryCommit on an idle queue = %v, %v; want nil, true", err, ok)
	}
	if got := env.published(); len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Fatalf("published %v after TryCommit, want [1 3]", got)
	}
	if batch[1].err != errIndividual || batch[0].pos != 1 || batch[2].pos != 2 {
		t.Fatalf("own outcomes: %+v %+v %+v", batch[0], batch[1], batch[2])
	}
	if st := q.Stats(); st.Batches != 1 || st.Requests != 3 || env.persists() != 1 {
		t.Fatalf("Stats %+v, %d persists; want 1 batch of 3, 1 persist", st, env.persists())
	}
	if _, ok := q.TryCommit(nil); ok {
		t.Fatal("TryCommit of an empty batch ran")
	}
	if _, ok := q.TryCommit(make([]*fakeReq, 5)); ok {
		t.Fatal("TryCommit of a batch over MaxBatch ran")
	}

	// The writer holds the Env (its Persist waits on the gate): declined,
	// and so while a request waits behind it.
	env.gate = make(chan struct{})
	env.started = make(chan struct{}, 1)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); q.Submit(context.Background(), &fakeReq{id: 10}) }()
	<-env.started
	go func() { defer wg.Done(); q.Submit(context.Background(), &fakeReq{id: 11}) }()
	waitPending(t, q, 1)
	if _, ok := q.TryCommit([]*fakeReq{{id: 12}}); ok {
		t.Fatal("TryCommit ran while the writer held the Env")
	}
	close(env.gate)
	wg.Wait()
	env.gate, env.started = nil, nil
	// The writer lets go of the Env when it next looks for work, just
	// after answering its last batch.
	waitFor(t, "TryCommit once the writer is idle again", func() bool {
		err, ok := q.TryCommit([]*fakeReq{{id: 13}})
		if ok && err != nil {
			t.Fatalf("TryCommit once the writer is idle again: %v", err)
		}
		return ok
	})
	q.Close()
	if _, ok := q.TryCommit([]*fakeReq{{id: 14}}); ok {
		t.Fatal("TryCommit ran after Close")
	}
	if got := env.published(); len(got) != 5 {
		t.Fatalf("published %v, want 1 3 10 11 13", got)
	}
}

// TestTryCommitFailures: a failed Persist fails the inline batch (Abort
// called, nothing published) and the queue goes on; a panic fails the queue
// for every later request, inline or submitted.
func TestTryCommitFailures(t *testing.T) {
	env := newFakeEnv(t)
	boom := errors.New("disk on fire")
	env.persistErr = func(call int) error {
		if call == 1 {
			return boom
		}
		return nil
	}
	env.panicIn, env.panicID = "Apply", 99
	q := newQueue(t, env, Options{})
	if err, ok := q.TryCommit([]*fakeReq{{id: 1}}); !ok || !errors.Is(err, boom) {
		t.Fatalf("TryCommit with a failing Persist = %v, %v", err, ok)
	}
	if len(env.published()) != 0 || len(env.abortErrs()) != 1 {
		t.Fatalf("after a failed inline batch: published %v, aborts %v", env.published(), env.abortErrs())
	}
	if err, ok := q.TryCommit([]*fakeReq{{id: 2}}); !ok || err != nil {
		t.Fatalf("TryCommit after a failed batch = %v, %v", err, ok)
	}
	err, ok := q.TryCommit([]*fakeReq{{id: 99}})
	var pe *PanicError
	if !ok || !errors.As(err, &pe) || pe.Method != "Apply" {
		t.Fatalf("TryCommit with a panicking Apply = %v, %v", err, ok)
	}
	if _, ok := q.TryCommit([]*fakeReq{{id: 3}}); ok {
		t.Fatal("TryCommit ran on a failed queue")
	}
	if err := q.Submit(context.Background(), &fakeReq{id: 4}); !errors.Is(err, ErrFailed) {
		t.Fatalf("Submit on a failed queue = %v", err)
	}
	if err := q.Close(); !errors.Is(err, ErrFailed) {
		t.Fatalf("Close = %v", err)
	}
}

// TestTryCommitConcurrent: callers of TryCommit, Submit and SubmitAsync on
// many goroutines never run Env methods at once (the fake Env checks), and
// every request is published exactly once (newQueue's cleanup checks) in
// each caller's order.
func TestTryCommitConcurrent(t *testing.T) {
	env := newFakeEnv(t)
	q := newQueue(t, env, Options{MaxBatch: 8})
	const callers, per = 8, 200
	var wg sync.WaitGroup
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last *fakeReq
			for i := range per {
				r := &fakeReq{id: c*per + i}
				var err error
				switch i % 3 {
				case 0:
					var ok bool
					if err, ok = q.TryCommit([]*fakeReq{r}); !ok {
						err = q.Submit(context.Background(), r)
					}
				case 1:
					err = q.Submit(context.Background(), r)
				default:
					done := make(chan error, 1)
					if err = q.SubmitAsync(context.Background(), r, func(err error) { done <- err }); err == nil {
						err = <-done
					}
				}
				if err != nil {
					t.Errorf("request %d: %v", r.id, err)
					return
				}
				if last != nil && r.pos <= last.pos {
					t.Errorf("request %d applied at %d, before %d at %d", r.id, r.pos, last.id, last.pos)
				}
				last = r
			}
		}()
	}
	wg.Wait()
	if got := len(env.published()); got != callers*per {
		t.Fatalf("published %d, want %d", got, callers*per)
	}
}

// TestTryCommitBeforeWriterWaits: a writer that begins to wait while a
// TryCommit holds the Env (Submits do not wake it then) is woken by the next
// Submit once the TryCommit is over. A TryCommit right after New races the
// writer goroutine's first wait, so both orders occur over the rounds.
func TestTryCommitBeforeWriterWaits(t *testing.T) {
	for range 20 {
		env := newFakeEnv(t)
		q := newQueue(t, env, Options{})
		if err, ok := q.TryCommit([]*fakeReq{{id: 1}}); !ok || err != nil {
			t.Fatalf("TryCommit = %v, %v", err, ok)
		}
		done := make(chan error, 1)
		go func() { done <- q.Submit(context.Background(), &fakeReq{id: 2}) }()
		awaitNil(t, done, 5*time.Second, "a Submit after TryCommit was never taken by the writer")
	}
}
