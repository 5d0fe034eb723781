package writequeue

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
)

// TestOrderOneGoroutine: one goroutine's requests are applied in the order
// it submitted them.
func TestOrderOneGoroutine(t *testing.T) {
	env := newFakeEnv(t)
	q := newQueue(t, env, Options{})
	const n = 1000
	want := make([]int, n)
	for i := range n {
		r := &fakeReq{id: i}
		if err := q.Submit(context.Background(), r); err != nil {
			t.Fatalf("Submit(%d): %v", i, err)
		}
		if r.pos != i+1 {
			t.Fatalf("request %d applied at position %d, want %d", i, r.pos, i+1)
		}
		want[i] = i
	}
	if got := env.published(); !slices.Equal(got, want) {
		t.Fatalf("published %v, want %v", got, want)
	}
}

// TestOrderWithinBatch: requests that pile up behind a slow Persist form one
// batch, applied in the order they were queued.
func TestOrderWithinBatch(t *testing.T) {
	env := newFakeEnv(t)
	env.gate = make(chan struct{})
	env.started = make(chan struct{}, 1)
	q := newQueue(t, env, Options{})

	const n = 50
	var wg sync.WaitGroup
	submit := func(id int) {
		wg.Go(func() {
			if err := q.Submit(context.Background(), &fakeReq{id: id}); err != nil {
				t.Errorf("Submit(%d): %v", id, err)
			}
		})
	}
	submit(0)
	<-env.started // request 0 is being persisted; the writer is busy
	for i := 1; i <= n; i++ {
		submit(i)
		waitPending(t, q, i) // queue them one by one, in a known order
	}
	close(env.gate)
	wg.Wait()

	want := make([]int, n+1)
	for i := range want {
		want[i] = i
	}
	if got := env.published(); !slices.Equal(got, want) {
		t.Fatalf("published %v, want %v", got, want)
	}
	if got := env.batchSizes(); !slices.Equal(got, []int{1, n}) {
		t.Fatalf("batch sizes %v, want [1 %d]", got, n)
	}
}

// TestManyGoroutinesExactlyOnce: with many submitters every request is
// applied exactly once and each caller gets its own result.
func TestManyGoroutinesExactlyOnce(t *testing.T) {
	env := newFakeEnv(t)
	q := newQueue(t, env, Options{MaxBatch: 16, QueueSize: 64})
	const goroutines, each = 16, 200
	reqs := make([]*fakeReq, goroutines*each)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				id := g*each + i
				r := &fakeReq{id: id}
				reqs[id] = r
				if err := q.Submit(context.Background(), r); err != nil {
					t.Errorf("Submit(%d): %v", id, err)
				}
			}
		})
	}
	wg.Wait()

	published := env.published()
	if len(published) != len(reqs) {
		t.Fatalf("published %d requests, want %d", len(published), len(reqs))
	}
	for _, r := range reqs {
		if r.pos < 1 || published[r.pos-1] != r.id {
			t.Fatalf("request %d got position %d, which holds another request", r.id, r.pos)
		}
	}
	st := q.Stats()
	if st.Requests != uint64(len(reqs)) || st.Batches != uint64(len(env.batchSizes())) {
		t.Fatalf("Stats %+v: want %d requests in %d batches", st, len(reqs), len(env.batchSizes()))
	}
}

// TestIndividualFailure: a request that fails on its own gets its outcome
// through R and does not affect the rest of its batch.
func TestIndividualFailure(t *testing.T) {
	env := newFakeEnv(t)
	env.gate = make(chan struct{})
	env.started = make(chan struct{}, 1)
	q := newQueue(t, env, Options{})

	reqs := make([]*fakeReq, 10)
	for i := range reqs {
		reqs[i] = &fakeReq{id: i, fail: i%3 == 1}
	}
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = q.Submit(context.Background(), reqs[0]) })
	<-env.started
	for i := 1; i < len(reqs); i++ {
		wg.Go(func() { errs[i] = q.Submit(context.Background(), reqs[i]) })
		waitPending(t, q, i) // in order, all in the second batch
	}
	close(env.gate)
	wg.Wait()

	var want []int
	for i, r := range reqs {
		if errs[i] != nil {
			t.Errorf("Submit(%d) = %v, want nil (the outcome is in R)", i, errs[i])
		}
		if r.fail {
			if !errors.Is(r.err, errIndividual) || r.pos != 0 {
				t.Errorf("failing request %d: err %v, pos %d", i, r.err, r.pos)
			}
			continue
		}
		if r.err != nil {
			t.Errorf("request %d: err %v, want nil", i, r.err)
		}
		want = append(want, i)
	}
	if got := env.published(); !slices.Equal(got, want) {
		t.Fatalf("published %v, want %v", got, want)
	}
	if got := env.batchSizes(); !slices.Equal(got, []int{1, len(reqs) - 1}) {
		t.Fatalf("batch sizes %v", got)
	}
}
