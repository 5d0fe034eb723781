package writequeue

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

var errDisk = errors.New("fake: disk on fire")

// TestGroupCommit: concurrent submitters behind a slow Persist share fsyncs.
func TestGroupCommit(t *testing.T) {
	env := newFakeEnv(t)
	env.persistDelay = 2 * time.Millisecond
	q := newQueue(t, env, Options{})
	const goroutines, each = 64, 20
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				if err := q.Submit(context.Background(), &fakeReq{id: g*each + i}); err != nil {
					t.Errorf("Submit: %v", err)
				}
			}
		})
	}
	wg.Wait()

	const total = goroutines * each
	persists := env.persists()
	st := q.Stats()
	t.Logf("%d requests, %d Persist calls, mean batch %.1f, max %d, sizes %v",
		total, persists, st.MeanBatch(), st.MaxBatch, st.BatchSizes)
	if persists*4 > total {
		t.Fatalf("%d Persist calls for %d requests: want fewer than %d (mean batch > 4)", persists, total, total/4)
	}
	if st.Requests != total || st.Batches != uint64(persists) {
		t.Fatalf("Stats %+v: want %d requests in %d batches", st, total, persists)
	}
	if n := len(env.published()); n != total {
		t.Fatalf("published %d, want %d", n, total)
	}
}

// queueBehind submits ids[0] and waits until it is being persisted (held
// by env.gate), then queues the other ids behind it in order. It returns the
// requests and a function that waits for their Submits and returns the
// errors.
func queueBehind(t *testing.T, q *Queue[*fakeReq], env *fakeEnv, ids ...int) ([]*fakeReq, func() []error) {
	t.Helper()
	reqs := make([]*fakeReq, len(ids))
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		reqs[i] = &fakeReq{id: id}
		wg.Go(func() { errs[i] = q.Submit(context.Background(), reqs[i]) })
		if i == 0 {
			<-env.started
		} else {
			waitPending(t, q, i)
		}
	}
	return reqs, func() []error { wg.Wait(); return errs }
}

// TestPersistFailure: a Persist error fails its whole batch, Abort is
// called, nothing of the batch is published, and later batches proceed.
func TestPersistFailure(t *testing.T) {
	env := newFakeEnv(t)
	env.gate = make(chan struct{})
	env.started = make(chan struct{}, 1)
	env.persistErr = func(call int) error {
		if call == 2 {
			return errDisk
		}
		return nil
	}
	q := newQueue(t, env, Options{})

	_, wait := queueBehind(t, q, env, 1, 2, 3, 4, 5)
	env.gate <- struct{}{} // batch [1] succeeds
	env.gate <- struct{}{} // batch [2 3 4 5] fails
	errs := wait()
	if errs[0] != nil {
		t.Fatalf("first batch: %v", errs[0])
	}
	for i, err := range errs[1:] {
		if !errors.Is(err, errDisk) {
			t.Errorf("request %d of the failed batch: %v, want %v", i+2, err, errDisk)
		}
	}
	if got := env.abortErrs(); len(got) != 1 || !errors.Is(got[0], errDisk) {
		t.Fatalf("Abort calls %v, want one with %v", got, errDisk)
	}
	if got := env.published(); !slices.Equal(got, []int{1}) {
		t.Fatalf("published %v, want [1]", got)
	}

	close(env.gate)
	if err := q.Submit(context.Background(), &fakeReq{id: 6}); err != nil {
		t.Fatalf("Submit after a failed batch: %v", err)
	}
	if got := env.published(); !slices.Equal(got, []int{1, 6}) {
		t.Fatalf("published %v, want [1 6]", got)
	}
	st := q.Stats()
	if st.FailedBatches != 1 || st.FailedRequests != 4 {
		t.Fatalf("Stats %+v: want 1 failed batch of 4", st)
	}
}

// TestApplyFailure: an Apply error fails its whole batch like a Persist
// error, without calling Persist.
func TestApplyFailure(t *testing.T) {
	env := newFakeEnv(t)
	env.gate = make(chan struct{})
	env.started = make(chan struct{}, 1)
	env.applyErr = func(batch []*fakeReq) error {
		for _, r := range batch {
			if r.id == 3 {
				return errDisk
			}
		}
		return nil
	}
	q := newQueue(t, env, Options{})

	_, wait := queueBehind(t, q, env, 1, 2, 3)
	close(env.gate)
	errs := wait()
	if errs[0] != nil || !errors.Is(errs[1], errDisk) || !errors.Is(errs[2], errDisk) {
		t.Fatalf("errors %v, want [nil %v %v]", errs, errDisk, errDisk)
	}
	if p := env.persists(); p != 1 {
		t.Fatalf("%d Persist calls, want 1", p)
	}
	if got := env.abortErrs(); len(got) != 1 {
		t.Fatalf("Abort calls %v, want 1", got)
	}
	if err := q.Submit(context.Background(), &fakeReq{id: 4}); err != nil {
		t.Fatalf("Submit after a failed batch: %v", err)
	}
	if got := env.published(); !slices.Equal(got, []int{1, 4}) {
		t.Fatalf("published %v, want [1 4]", got)
	}
}
