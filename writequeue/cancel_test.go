package writequeue

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestCancelBeforeSubmit: a ctx that already ended is reported at once.
func TestCancelBeforeSubmit(t *testing.T) {
	env := newFakeEnv(t)
	q := newQueue(t, env, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.Submit(ctx, &fakeReq{id: 1}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit = %v, want %v", err, context.Canceled)
	}
	q.Close()
	if got := env.published(); len(got) != 0 {
		t.Fatalf("published %v, want nothing", got)
	}
}

// TestCancelBeforeTaken: a request whose ctx ends while it is queued is
// reported canceled and never applied.
func TestCancelBeforeTaken(t *testing.T) {
	env := newFakeEnv(t)
	env.gate = make(chan struct{})
	env.started = make(chan struct{}, 1)
	q := newQueue(t, env, Options{})

	_, wait := queueBehind(t, q, env, 1) // the writer is busy persisting 1
	ctx, cancel := context.WithCancel(context.Background())
	canceled := &fakeReq{id: 2}
	done := make(chan error)
	go func() { done <- q.Submit(ctx, canceled) }()
	waitPending(t, q, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit = %v, want %v", err, context.Canceled)
	}
	close(env.gate)
	if errs := wait(); errs[0] != nil {
		t.Fatal(errs[0])
	}
	if err := q.Submit(context.Background(), &fakeReq{id: 3}); err != nil {
		t.Fatal(err)
	}
	if got := env.published(); !slices.Equal(got, []int{1, 3}) {
		t.Fatalf("published %v, want [1 3]", got)
	}
	if canceled.pos != 0 {
		t.Fatalf("canceled request was applied at %d", canceled.pos)
	}
	if st := q.Stats(); st.Canceled != 1 || st.Requests != 2 {
		t.Fatalf("Stats %+v: want 1 canceled, 2 requests", st)
	}
}

// TestCancelAfterTaken: once the writer has taken a request, Submit waits
// for its batch even though ctx has ended.
func TestCancelAfterTaken(t *testing.T) {
	env := newFakeEnv(t)
	env.gate = make(chan struct{})
	env.started = make(chan struct{}, 1)
	q := newQueue(t, env, Options{})

	ctx, cancel := context.WithCancel(context.Background())
	r := &fakeReq{id: 1}
	done := make(chan error, 1)
	go func() { done <- q.Submit(ctx, r) }()
	<-env.started // taken and being persisted
	cancel()
	select {
	case err := <-done:
		t.Fatalf("Submit returned %v while its batch was still being persisted", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(env.gate)
	if err := <-done; err != nil {
		t.Fatalf("Submit = %v, want nil", err)
	}
	if r.pos != 1 || !slices.Equal(env.published(), []int{1}) {
		t.Fatalf("request not applied: pos %d, published %v", r.pos, env.published())
	}
	if st := q.Stats(); st.Canceled != 0 {
		t.Fatalf("Stats.Canceled = %d, want 0", st.Canceled)
	}
}

// TestCancelStress races many cancellations against the writer: every
// request is either applied exactly once and answered nil, or answered with
// its ctx error and never applied.
func TestCancelStress(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	env := newFakeEnv(t)
	env.persistDelay = 50 * time.Microsecond
	q := newQueue(t, env, Options{MaxBatch: 32, QueueSize: 64})

	const goroutines, each = 32, 150
	errs := make([]error, goroutines*each)
	var wg sync.WaitGroup
	for g := range goroutines {
		rng := rand.New(rand.NewPCG(seed, uint64(g)))
		wg.Go(func() {
			for i := range each {
				id := g*each + i
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				switch rng.IntN(4) {
				case 0: // never ends
				case 1: // times out soon
					ctx, cancel = context.WithTimeout(ctx, time.Duration(rng.IntN(300))*time.Microsecond)
				case 2: // canceled by another goroutine
					ctx, cancel = context.WithCancel(ctx)
					d := time.Duration(rng.IntN(300)) * time.Microsecond
					go func() { time.Sleep(d); cancel() }()
				case 3: // canceled concurrently with the Submit
					ctx, cancel = context.WithCancel(ctx)
					go cancel()
				}
				errs[id] = q.Submit(ctx, &fakeReq{id: id})
				cancel()
			}
		})
	}
	wg.Wait()
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}

	set := env.publishedSet()
	var applied, canceled int
	for id, err := range errs {
		switch {
		case err == nil:
			applied++
			if set[id] != 1 {
				t.Fatalf("seed %d: request %d answered nil but published %d times", seed, id, set[id])
			}
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
			canceled++
			if set[id] != 0 {
				t.Fatalf("seed %d: request %d answered %v but published", seed, id, err)
			}
		default:
			t.Fatalf("seed %d: request %d: unexpected error %v", seed, id, err)
		}
	}
	st := q.Stats()
	t.Logf("%d applied, %d canceled, %d batches", applied, canceled, st.Batches)
	if len(set) != applied || st.Requests != uint64(applied) || st.Canceled != uint64(canceled) {
		t.Fatalf("seed %d: %d published, %d applied, %d canceled, Stats %+v", seed, len(set), applied, canceled, st)
	}
}
