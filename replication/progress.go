package replication

import (
	"context"
	"sync"
	"sync/atomic"
)

// progress is how far this node's state machine has got: the Raft index
// and term of the last entry it applied (and published). The state
// machine's goroutine advances it; readers and writers wait on it.
//
// Waiting costs no lock while the condition already holds; otherwise a
// waiter takes the current change channel, which the next advance closes.
type progress struct {
	index atomic.Uint64
	term  atomic.Uint64

	// mu guards changed, a channel closed (and replaced) by every advance.
	mu      sync.Mutex
	changed chan struct{}
}

func newProgress() *progress { return &progress{changed: make(chan struct{})} }

// set records that the entry at index (of term, 0 if unknown) is applied
// and wakes the waiters. Called by the state machine's goroutine only.
func (p *progress) set(index, term uint64) {
	p.index.Store(index)
	if term > p.term.Load() {
		p.term.Store(term)
	}
	p.mu.Lock()
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

// waitIndex returns once the applied index is at least index, or with
// ctx's error.
func (p *progress) waitIndex(ctx context.Context, index uint64) error {
	return p.wait(ctx, func() bool { return p.index.Load() >= index })
}

// waitTerm returns once an entry of term (or later) is applied, or with
// ctx's error.
func (p *progress) waitTerm(ctx context.Context, term uint64) error {
	return p.wait(ctx, func() bool { return p.term.Load() >= term })
}

func (p *progress) wait(ctx context.Context, ok func() bool) error {
	for {
		if ok() {
			return nil
		}
		p.mu.Lock()
		ch := p.changed
		p.mu.Unlock()
		if ok() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
