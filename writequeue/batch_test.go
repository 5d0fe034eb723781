package writequeue

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestMaxBatch: a backlog is cut into batches of MaxBatch, oldest first.
func TestMaxBatch(t *testing.T) {
	env := newFakeEnv(t)
	env.gate = make(chan struct{})
	env.started = make(chan struct{}, 1)
	q := newQueue(t, env, Options{MaxBatch: 8})

	ids := make([]int, 1+30)
	for i := range ids {
		ids[i] = i
	}
	_, wait := queueBehind(t, q, env, ids...)
	close(env.gate)
	wait()
	if got, want := env.batchSizes(), []int{1, 8, 8, 8, 6}; !slices.Equal(got, want) {
		t.Fatalf("batch sizes %v, want %v", got, want)
	}
	if got := env.published(); !slices.Equal(got, ids) {
		t.Fatalf("published %v, want %v", got, ids)
	}
	st := q.Stats()
	// Buckets: 1 → [0], 6 → [2], 8 → [3].
	if st.MaxBatch != 8 || st.BatchSizes[0] != 1 || st.BatchSizes[2] != 1 || st.BatchSizes[3] != 3 {
		t.Fatalf("Stats %+v", st)
	}
}

// TestMaxDelayLingers: a lone request waits MaxDelay for company.
func TestMaxDelayLingers(t *testing.T) {
	env := newFakeEnv(t)
	const delay = 30 * time.Millisecond
	q := newQueue(t, env, Options{MaxBatch: 16, MaxDelay: delay})
	start := time.Now()
	if err := q.Submit(context.Background(), &fakeReq{id: 1}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < delay {
		t.Fatalf("Submit returned after %v, before MaxDelay %v", d, delay)
	}
}

// TestMaxDelayFullBatch: lingering ends as soon as MaxBatch requests are
// queued, so they form one batch long before MaxDelay.
func TestMaxDelayFullBatch(t *testing.T) {
	env := newFakeEnv(t)
	const n = 4
	q := newQueue(t, env, Options{MaxBatch: n, MaxDelay: time.Minute})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := q.Submit(context.Background(), &fakeReq{id: i}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait() // would take a minute if the full batch did not end the linger
	if got := env.batchSizes(); !slices.Equal(got, []int{n}) {
		t.Fatalf("batch sizes %v, want [%d]", got, n)
	}
}

// TestMaxDelaySmallQueue: with QueueSize below MaxBatch, a full queue ends
// the linger.
func TestMaxDelaySmallQueue(t *testing.T) {
	env := newFakeEnv(t)
	q := newQueue(t, env, Options{MaxBatch: 8, QueueSize: 2, MaxDelay: time.Minute})
	done := make(chan error, 2)
	for i := range 2 {
		go func() { done <- q.Submit(context.Background(), &fakeReq{id: i}) }()
	}
	for range 2 {
		awaitNil(t, done, 10*time.Second, "the writer lingered on a full queue")
	}
}

// TestMaxDelayClose: Close ends the linger and drains.
func TestMaxDelayClose(t *testing.T) {
	env := newFakeEnv(t)
	q := newQueue(t, env, Options{MaxBatch: 8, MaxDelay: time.Minute})
	done := make(chan error)
	go func() { done <- q.Submit(context.Background(), &fakeReq{id: 1}) }()
	waitFor(t, "the writer to linger", func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		return q.wakeAt == q.opts.MaxBatch // lingering
	})
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{{MaxBatch: -1}, {QueueSize: -1}, {MaxDelay: -time.Second}} {
		if err := o.Validate(); err == nil {
			t.Errorf("%+v: Validate = nil, want an error", o)
		}
		if _, err := New[*fakeReq](newFakeEnv(t), o); err == nil {
			t.Errorf("%+v: New accepted invalid options", o)
		}
	}
	if err := (Options{}).Validate(); err != nil {
		t.Errorf("zero Options: %v", err)
	}
	if _, err := New[*fakeReq](nil, Options{}); err == nil {
		t.Errorf("New accepted a nil Env")
	}
}
