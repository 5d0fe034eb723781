package writequeue

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// errIndividual is the outcome the fake Env records in a request that fails
// on its own.
var errIndividual = errors.New("fake: request failed on its own")

// fakeReq is the request type of the tests.
type fakeReq struct {
	id   int
	fail bool // Apply records errIndividual instead of applying it
	// Set by Apply.
	pos int   // 1-based position in the applied log
	err error // the request's own outcome
}

// fakeEnv is an Env whose state is the list of applied request ids. The
// configuration fields are set before New and only read afterwards.
type fakeEnv struct {
	t testing.TB

	// Configuration.
	persistDelay time.Duration
	gate         chan struct{}                // Persist waits for a receive (or close) when not nil
	started      chan struct{}                // Persist signals here (non-blocking) when not nil
	applyErr     func(batch []*fakeReq) error // whole-batch Apply failure
	persistErr   func(call int) error         // Persist failure of the given call (1-based)
	panicIn      string                       // Env method that panics ...
	panicID      int                          // ... when the batch holds this id

	inCall atomic.Bool // detects concurrent calls

	// mu guards the state below, read by tests while the writer runs.
	mu           sync.Mutex
	working      []int // applied ids; working[:publishedN] are published
	publishedN   int
	batches      []int // size of every batch handed to Apply
	persistCalls int
	aborts       []error
}

func newFakeEnv(t testing.TB) *fakeEnv {
	return &fakeEnv{t: t}
}

// enter checks that no other Env method is running.
func (e *fakeEnv) enter() {
	if !e.inCall.CompareAndSwap(false, true) {
		e.t.Errorf("Env methods called concurrently")
	}
}

func (e *fakeEnv) leave() { e.inCall.Store(false) }

func (e *fakeEnv) maybePanic(method string, batch []*fakeReq) {
	if e.panicIn != method {
		return
	}
	for _, r := range batch {
		if r.id == e.panicID {
			panic("fake: boom in " + method)
		}
	}
}

func (e *fakeEnv) Apply(batch []*fakeReq) error {
	e.enter()
	defer e.leave()
	e.maybePanic("Apply", batch)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.batches = append(e.batches, len(batch))
	if e.applyErr != nil {
		if err := e.applyErr(batch); err != nil {
			return err
		}
	}
	for _, r := range batch {
		if r.fail {
			r.err = errIndividual
			continue
		}
		e.working = append(e.working, r.id)
		r.pos = len(e.working)
	}
	return nil
}

func (e *fakeEnv) Persist(batch []*fakeReq) error {
	e.enter()
	defer e.leave()
	e.maybePanic("Persist", batch)
	if e.started != nil {
		select {
		case e.started <- struct{}{}:
		default:
		}
	}
	if e.gate != nil {
		<-e.gate
	}
	if e.persistDelay > 0 {
		time.Sleep(e.persistDelay)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.persistCalls++
	if e.persistErr != nil {
		return e.persistErr(e.persistCalls)
	}
	return nil
}

func (e *fakeEnv) Publish(batch []*fakeReq) {
	e.enter()
	defer e.leave()
	e.maybePanic("Publish", batch)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.publishedN = len(e.working)
}

func (e *fakeEnv) Abort(batch []*fakeReq, err error) {
	e.enter()
	defer e.leave()
	e.maybePanic("Abort", batch)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.working = e.working[:e.publishedN]
	e.aborts = append(e.aborts, err)
}

// published returns a copy of the published ids in applied order.
func (e *fakeEnv) published() []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]int(nil), e.working[:e.publishedN]...)
}

// publishedSet returns how often each id was published.
func (e *fakeEnv) publishedSet() map[int]int {
	set := make(map[int]int)
	for _, id := range e.published() {
		set[id]++
	}
	return set
}

func (e *fakeEnv) batchSizes() []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]int(nil), e.batches...)
}

func (e *fakeEnv) persists() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.persistCalls
}

func (e *fakeEnv) abortErrs() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]error(nil), e.aborts...)
}

// newQueue starts a queue over env and closes it when the test ends,
// checking then that no id was published twice and that the queue is empty.
func newQueue(t testing.TB, env *fakeEnv, opts Options) *Queue[*fakeReq] {
	t.Helper()
	q, err := New[*fakeReq](env, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		q.Close()
		for id, n := range env.publishedSet() {
			if n != 1 {
				t.Errorf("id %d published %d times", id, n)
			}
		}
		if p := q.Stats().Pending; p != 0 {
			t.Errorf("Pending after Close = %d, want 0", p)
		}
	})
	return q
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// waitPending waits until exactly n requests are queued and not taken.
func waitPending(t testing.TB, q *Queue[*fakeReq], n int) {
	t.Helper()
	waitFor(t, "pending requests", func() bool { return q.Stats().Pending == n })
}

// awaitNil waits up to d for an error on done and fails the test unless it
// is nil; stuck says what it means when none comes.
func awaitNil(t *testing.T, done <-chan error, d time.Duration, stuck string) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(d):
		t.Fatal(stuck)
	}
}
