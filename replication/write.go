package replication

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fleetdb-go/fleetdb/query"
	"github.com/hashicorp/raft"
)

// writeReq is one write on its way: the coalescer sends it with others as
// one Raft entry; finish answers it and closes done.
type writeReq struct {
	req  []byte // the query's JSON
	done chan struct{}
	out  []byte
	err  error
}

func (r *writeReq) finish(out []byte, err error) {
	r.out, r.err = out, err
	close(r.done)
}

// batch is one Raft entry's worth of writes.
type batch struct {
	reqs  []*writeReq
	entry []byte
	start time.Time
}

func newBatch(reqs []*writeReq) *batch {
	raw := make([][]byte, len(reqs))
	for i, r := range reqs {
		raw[i] = r.req
	}
	return &batch{reqs: reqs, entry: appendWrites(nil, raw), start: time.Now()}
}

// finish answers every write of the batch with the same outcome.
func (b *batch) finish(out []byte, err error) {
	for _, r := range b.reqs {
		r.finish(out, err)
	}
}

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
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("replication: write not sent: %w", err)
	}
	r := &writeReq{req: req, done: make(chan struct{})}
	if err := n.sendq.add(ctx, r); err != nil {
		if errors.Is(err, ErrClosed) {
			return nil, ErrClosed
		}
		return nil, fmt.Errorf("replication: write not sent: %w", err)
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		if n.sendq.cancel(r) {
			return nil, fmt.Errorf("replication: write not sent: %w", ctx.Err())
		}
		return nil, outcomeUnknown("the caller stopped waiting", ctx.Err())
	}
	return r.out, r.err
}

// commitBatch takes a batch to the leader, waits until this node has
// applied it, and answers its callers.
func (n *Node) commitBatch(b *batch) {
	ctx, cancel := context.WithDeadline(n.ctx, b.start.Add(n.cfg.ApplyTimeout))
	defer cancel()
	fail := func(err error) {
		n.sendq.failed(len(b.reqs))
		b.finish(nil, err)
	}
	index, res, err := n.commitEntry(ctx, b.entry)
	if err != nil {
		fail(err)
		return
	}
	if len(res.outs) != len(b.reqs) || len(res.errs) != len(b.reqs) {
		fail(fmt.Errorf("%w: %d results for %d writes (committed at index %d)", ErrCorrupt, len(res.outs), len(b.reqs), index))
		return
	}
	if err := n.waitApplied(index); err != nil {
		fail(err)
		return
	}
	for i, r := range b.reqs {
		r.finish(res.outs[i], res.errs[i])
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
	// Until raft answers or the node closes (not f.Error alone: raft 1.7.3
	// never answers a future still queued in its apply channel when it
	// shuts down, see upkeep).
	if err := n.await(context.Background(), f); err != nil {
		switch {
		case errors.Is(err, ErrClosed):
			return 0, nil, outcomeUnknown("the node shut down while committing", err)
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
