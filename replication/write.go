package replication

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fleetdb-go/fleetdb/query"
	"github.com/fleetdb-go/fleetdb/writequeue"
	"github.com/hashicorp/raft"
)

// writeReq is one write on its way: the queue coalesces it with others
// into a batch, one Raft entry.
type writeReq struct {
	req []byte // the query's JSON
	b   *batch
	i   int // its place in b
}

// batch is one Raft entry's worth of writes. Its goroutine (commitBatch)
// fills the results and closes done.
type batch struct {
	entry []byte
	n     int // writes in the entry
	start time.Time
	done  chan struct{}
	res   *entryResult
	err   error // the whole batch failed (no leader, outcome unknown)
}

// batcher is the write queue's environment. Apply encodes a batch into one
// entry; Persist hands it to a goroutine of its own that takes it to the
// leader, so several entries are in flight at once (Raft pipelines them,
// and its leader writes all that are waiting with one fsync). The callers
// wait for their batch's done channel, not for Persist. All methods run on
// the queue's goroutine.
type batcher struct {
	n    *Node
	cur  *batch
	reqs [][]byte
}

func (w *batcher) Apply(reqs []*writeReq) error {
	w.reqs = w.reqs[:0]
	for _, r := range reqs {
		w.reqs = append(w.reqs, r.req)
	}
	b := &batch{entry: appendWrites(nil, w.reqs), n: len(reqs), start: time.Now(), done: make(chan struct{})}
	for i, r := range reqs {
		r.b, r.i = b, i
	}
	clear(w.reqs)
	w.cur = b
	return nil
}

func (w *batcher) Persist([]*writeReq) error {
	b := w.cur
	w.cur = nil
	if !w.n.goOwned(func() { w.n.commitBatch(b) }) {
		return ErrClosed
	}
	return nil
}

func (w *batcher) Publish([]*writeReq)      {}
func (w *batcher) Abort([]*writeReq, error) { w.cur = nil }

// Write replicates one write (req is its JSON, q the parsed query) and
// returns its result once it is committed and applied on this node, so
// that a read here sees it at once. A refused write returns the
// *query.Error every node refused it with. Errors: ErrNoLeader (not
// applied), ErrOutcomeUnknown (maybe applied), ErrClosed, or ctx's error
// if ctx ended before the write was handed on (not applied).
func (n *Node) Write(ctx context.Context, req []byte, q query.Query) ([]byte, error) {
	if !q.IsWrite() {
		return nil, fmt.Errorf("replication: %s is not a write", q.Name())
	}
	r := &writeReq{req: req}
	if err := n.queue.Submit(ctx, r); err != nil {
		switch {
		case errors.Is(err, writequeue.ErrClosed), errors.Is(err, ErrClosed):
			return nil, ErrClosed
		case ctx.Err() != nil:
			return nil, fmt.Errorf("replication: write not sent: %w", err)
		}
		return nil, err
	}
	b := r.b
	select {
	case <-b.done:
	case <-ctx.Done():
		return nil, outcomeUnknown("the caller stopped waiting", ctx.Err())
	}
	if b.err != nil {
		return nil, b.err
	}
	return b.res.outs[r.i], b.res.errs[r.i]
}

// commitBatch takes a batch to the leader, waits until this node has
// applied it, and answers its callers.
func (n *Node) commitBatch(b *batch) {
	defer close(b.done)
	ctx, cancel := context.WithDeadline(n.ctx, b.start.Add(n.cfg.ApplyTimeout))
	defer cancel()
	index, res, err := n.commitEntry(ctx, b.entry)
	if err != nil {
		b.err = err
		return
	}
	if len(res.outs) != b.n || len(res.errs) != b.n {
		b.err = fmt.Errorf("%w: %d results for %d writes (committed at index %d)", ErrCorrupt, len(res.outs), b.n, index)
		return
	}
	b.res = res
	if err := n.waitApplied(index); err != nil {
		b.err = err
	}
}

// waitApplied waits until this node has applied the committed entry at
// index (a forwarded write's answer must not outrun the local state).
func (n *Node) waitApplied(index uint64) error {
	if n.fsm.progress.index.Load() >= index {
		return nil
	}
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.ApplyTimeout)
	defer cancel()
	if err := n.fsm.progress.waitIndex(ctx, index); err != nil {
		return outcomeUnknown(fmt.Sprintf("committed at index %d but not applied on this node in time", index), err)
	}
	return nil
}

// commitEntry commits a writes entry through the leader and returns its
// index and results: on the leader through raft.Apply, elsewhere by
// forwarding. It retries while that is safe (no leader yet, the leader
// changed before it took the entry) until ctx ends.
func (n *Node) commitEntry(ctx context.Context, entry []byte) (uint64, *entryResult, error) {
	var (
		index uint64
		res   *entryResult
	)
	err := n.onLeader(ctx, opWrite, entry,
		func(ctx context.Context) error {
			var err error
			index, res, err = n.applyEntry(ctx, entry)
			return err
		},
		func(answer []byte) error {
			var err error
			index, res, err = decodeResult(answer)
			return err
		})
	return index, res, err
}

// applyEntry appends an entry on the leader and waits until it is
// committed and applied here. ErrNotLeader means the entry surely was not
// appended.
func (n *Node) applyEntry(ctx context.Context, entry []byte) (uint64, *entryResult, error) {
	timeout := n.cfg.ApplyTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(dl), time.Millisecond)
	}
	f := n.raft.Apply(entry, timeout)
	if err := f.Error(); err != nil {
		switch {
		case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrEnqueueTimeout):
			return 0, nil, fmt.Errorf("%w: %w", ErrNotLeader, err)
		case errors.Is(err, raft.ErrLeadershipLost):
			return 0, nil, outcomeUnknown("leadership lost while committing", err)
		case errors.Is(err, raft.ErrRaftShutdown):
			return 0, nil, outcomeUnknown("the node shut down while committing", err)
		}
		return 0, nil, outcomeUnknown("raft", err)
	}
	switch r := f.Response().(type) {
	case *entryResult:
		return f.Index(), r, nil
	case error:
		return 0, nil, r
	}
	return f.Index(), &entryResult{}, nil
}

// onLeader runs an operation where the leader is: local when this node
// leads, else by forwarding (op, payload) to the leader and handing its
// answer to decode. See retry for what is retried.
func (n *Node) onLeader(ctx context.Context, op byte, payload []byte,
	local func(context.Context) error, decode func([]byte) error) error {
	return n.retry(ctx, func(addr raft.ServerAddress, id raft.ServerID) error {
		if id == n.self {
			return local(ctx)
		}
		status, answer, err := n.link.call(ctx, string(addr), op, payload)
		switch {
		case err == nil && status == stOK:
			return decode(answer)
		case err == nil:
			return remoteError(status, answer)
		case errors.Is(err, errLost) && (op == opWrite || op == opMember):
			return outcomeUnknown("the connection to the leader broke", err)
		}
		return err
	})
}

// retry calls attempt with the current leader until it succeeds. While
// there is no leader, or attempt fails in a way that surely did nothing
// (ErrNotLeader, errNotSent) or that may be repeated (errLost, for
// idempotent operations), it waits for a leader change or a short backoff
// and tries again, until ctx ends: then ErrNoLeader. Any other error ends
// it at once.
func (n *Node) retry(ctx context.Context, attempt func(raft.ServerAddress, raft.ServerID) error) error {
	var last error
	backoff := time.Millisecond
	for {
		if n.ctx.Err() != nil {
			return ErrClosed
		}
		changed := n.leader.wait()
		addr, id := n.raft.LeaderWithID()
		var err error
		if id == "" {
			err = errors.New("no leader known")
		} else {
			err = attempt(addr, id)
			if err == nil {
				return nil
			}
			retryable := errors.Is(err, ErrNotLeader) || errors.Is(err, errNotSent) || errors.Is(err, errLost) || ctx.Err() != nil
			if !retryable || errors.Is(err, ErrOutcomeUnknown) {
				return err
			}
		}
		last = err
		select {
		case <-changed:
		case <-time.After(backoff):
			backoff = min(2*backoff, 50*time.Millisecond)
		case <-ctx.Done():
			if n.ctx.Err() != nil {
				return ErrClosed
			}
			return noLeader(n.cfg.ApplyTimeout.String(), last)
		}
	}
}
