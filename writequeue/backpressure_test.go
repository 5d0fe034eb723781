package writequeue

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBackpressure: with the writer stuck in Persist and the queue full,
// Submit blocks and returns its ctx error; the queue never grows past
// QueueSize; everything completes once Persist is released.
func TestBackpressure(t *testing.T) {
	const size = 4
	env := newFakeEnv(t)
	env.gate = make(chan struct{})
	env.started = make(chan struct{}, 1)
	q := newQueue(t, env, Options{QueueSize: size})

	_, wait := queueBehind(t, q, env, 0, 1, 2, 3, 4) // 0 persisting, 1..4 queued
	if p := q.Stats().Pending; p != size {
		t.Fatalf("Pending = %d, want %d", p, size)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := q.Submit(ctx, &fakeReq{id: 100}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Submit on a full queue = %v, want %v", err, context.DeadlineExceeded)
	}

	// Many more submitters block; the queue stays bounded.
	const blocked = 40
	var (
		wg      sync.WaitGroup
		maxSeen atomic.Int64
	)
	for i := range blocked {
		wg.Go(func() {
			if err := q.Submit(context.Background(), &fakeReq{id: 1000 + i}); err != nil {
				t.Errorf("Submit: %v", err)
			}
		})
	}
	stop := make(chan struct{})
	watcher := make(chan struct{})
	go func() {
		defer close(watcher)
		for {
			if p := int64(q.Stats().Pending); p > maxSeen.Load() {
				maxSeen.Store(p)
			}
			select {
			case <-stop:
				return
			default:
				time.Sleep(50 * time.Microsecond)
			}
		}
	}()
	time.Sleep(10 * time.Millisecond) // let them pile up against the bound
	if p := q.Stats().Pending; p != size {
		t.Fatalf("Pending = %d with blocked submitters, want %d", p, size)
	}
	close(env.gate)
	wait()
	wg.Wait()
	close(stop)
	<-watcher

	if m := maxSeen.Load(); m > size {
		t.Fatalf("Pending reached %d, bound is %d", m, size)
	}
	if n := len(env.published()); n != 5+blocked {
		t.Fatalf("published %d, want %d", n, 5+blocked)
	}
	if st := q.Stats(); st.Canceled != 1 || st.MaxBatch > size {
		t.Fatalf("Stats %+v: want 1 canceled, batches of at most %d", st, size)
	}
}

// TestCloseWakesBlockedSubmit: a Submit waiting for room gets ErrClosed
// when the queue is closed; the queued requests still complete.
func TestCloseWakesBlockedSubmit(t *testing.T) {
	env := newFakeEnv(t)
	env.gate = make(chan struct{})
	env.started = make(chan struct{}, 1)
	q := newQueue(t, env, Options{QueueSize: 1})

	_, wait := queueBehind(t, q, env, 1, 2) // 1 persisting, 2 queued: full
	blocked := make(chan error)
	go func() { blocked <- q.Submit(context.Background(), &fakeReq{id: 3}) }()
	closed := make(chan error)
	go func() { closed <- q.Close() }()
	if err := <-blocked; !errors.Is(err, ErrClosed) {
		t.Fatalf("blocked Submit = %v, want %v", err, ErrClosed)
	}
	close(env.gate)
	if err := <-closed; err != nil {
		t.Fatalf("Close = %v", err)
	}
	if errs := wait(); errs[0] != nil || errs[1] != nil {
		t.Fatalf("queued requests: %v", errs)
	}
	if n := len(env.published()); n != 2 {
		t.Fatalf("published %d, want 2", n)
	}
}
