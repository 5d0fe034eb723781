package writequeue

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/goleak"
)

// TestCloseDrains: Close refuses new requests at once, finishes the queued
// ones, and stops the writer goroutine.
func TestCloseDrains(t *testing.T) {
	defer goleak.VerifyNone(t)
	env := newFakeEnv(t)
	env.gate = make(chan struct{})
	env.started = make(chan struct{}, 1)
	q, err := New[*fakeReq](env, Options{MaxBatch: 4})
	if err != nil {
		t.Fatal(err)
	}

	const queued = 10
	ids := make([]int, queued+1)
	for i := range ids {
		ids[i] = i
	}
	_, wait := queueBehind(t, q, env, ids...)
	closed := make(chan error)
	go func() { closed <- q.Close() }()
	waitFor(t, "Close to start", func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		return q.closed
	})
	if err := q.Submit(context.Background(), &fakeReq{id: 99}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Submit while closing = %v, want %v", err, ErrClosed)
	}
	close(env.gate)
	if err := <-closed; err != nil {
		t.Fatalf("Close = %v", err)
	}
	for i, err := range wait() {
		if err != nil {
			t.Errorf("queued request %d: %v", i, err)
		}
	}
	if n := len(env.published()); n != queued+1 {
		t.Fatalf("published %d, want %d", n, queued+1)
	}
	if err := q.Submit(context.Background(), &fakeReq{id: 100}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Submit after Close = %v, want %v", err, ErrClosed)
	}
	if err := q.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if st := q.Stats(); st.Requests != queued+1 || st.MaxBatch != 4 {
		t.Fatalf("Stats %+v", st)
	}
}

// TestCloseIdle: closing a queue that never saw a request stops its writer.
func TestCloseIdle(t *testing.T) {
	defer goleak.VerifyNone(t)
	q, err := New[*fakeReq](newFakeEnv(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
}
