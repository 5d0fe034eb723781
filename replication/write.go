package replication

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fleetdb-go/fleetdb/query"
	"github.com/hashicorp/raft"
)

// writeReq is what the coalescer queues: one caller's write, or every
// write of an entry a follower forwarded to this leader (which stay
// together in one entry, so that they share one outcome). finish answers
// it: it closes done, or calls then (StartWrite: done is nil).
type writeReq struct {
	reqs [][]byte // the queries' JSON
	one  [1][]byte
	done chan struct{}
	then func(*writeReq)
	// Set before done is closed: the index of the entry that carried the
	// writes and one result per write, or err when the entry failed.
	index uint64
	outs  [][]byte
	errs  []error
	err   error
}

func newWriteReq(req []byte) *writeReq {
	r := &writeReq{done: make(chan struct{})}
	r.one[0] = req
	r.reqs = r.one[:]
	return r
}

// finish answers r: with results, or with err for all its writes.
func (r *writeReq) finish(index uint64, outs [][]byte, errs []error, err error) {
	r.index, r.outs, r.errs, r.err = index, outs, errs, err
	if r.then != nil {
		r.then(r)
		return
	}
	close(r.done)
}

// batch is one Raft entry's worth of writes.
type batch struct {
	reqs  []*writeReq
	n     int // writes
	entry []byte
	start time.Time
}

func newBatch(reqs []*writeReq) *batch {
	n := 0
	for _, r := range reqs {
		n += len(r.reqs)
	}
	raw := make([][]byte, 0, n)
	for _, r := range reqs {
		raw = append(raw, r.reqs...)
	}
	return &batch{reqs: reqs, n: n, entry: appendWrites(nil, raw), start: time.Now()}
}

// fail answers every write of the batch with err.
func (b *batch) fail(err error) {
	for _, r := range b.reqs {
		r.finish(0, nil, nil, err)
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
	r := newWriteReq(req)
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
	if r.err != nil {
		return nil, r.err
	}
	return r.outs[0], r.errs[0]
}

// commitBatch takes a batch to the leader, waits until this node has
// applied it, and answers its callers.
func (n *Node) commitBatch(b *batch) {
	ctx, cancel := context.WithDeadline(n.ctx, b.start.Add(n.cfg.ApplyTimeout))
	defer cancel()
	fail := func(err error) {
		n.sendq.failed(b.n)
		b.fail(err)
	}
	index, res, err := n.commitEntry(ctx, b.entry)
	if err != nil {
		fail(err)
		return
	}
	if len(res.outs) != b.n || len(res.errs) != b.n {
		fail(fmt.Errorf("%w: %d results for %d writes (committed at index %d)", ErrCorrupt, len(res.outs), b.n, index))
		return
	}
	if err := n.waitApplied(index); err != nil {
		fail(err)
		return
	}
	off := 0
	for _, r := range b.reqs {
		k := len(r.reqs)
		r.finish(index, res.outs[off:off+k:off+k], res.errs[off:off+k:off+k], nil)
		off += k
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

// mergeForwarded commits the writes of an entry forwarded by a follower
// (body: the entry without its type byte) and returns the answer to send
// back. The writes join this node's own pending writes, together, so that
// the leader commits one entry for everything waiting (as raft then
// writes one batch of entries with one fsync) instead of one per member:
// fewer entries to encode, store, send, decode and apply.
func (n *Node) mergeForwarded(ctx context.Context, body []byte) (byte, []byte) {
	count, err := countWrites(body)
	if err != nil || count == 0 {
		return stFailed, []byte("the entry could not be decoded")
	}
	r := &writeReq{reqs: make([][]byte, 0, count), done: make(chan struct{})}
	if err := eachWrite(body, func(req []byte) { r.reqs = append(r.reqs, req) }); err != nil {
		return stFailed, []byte("the entry could not be decoded")
	}
	if err := n.sendq.add(ctx, r); err != nil {
		if errors.Is(err, ErrClosed) {
			return stNotLeader, nil // nothing done; ask again elsewhere
		}
		return stFailed, []byte("not sent: " + err.Error())
	}
	<-r.done // commitBatch answers within ApplyTimeout, send at close
	switch {
	case errors.Is(r.err, ErrClosed), errors.Is(r.err, ErrNoLeader):
		return stNotLeader, nil // surely not applied: the follower asks again
	case r.err != nil:
		return statusOf(r.err)
	}
	return stOK, appendResult(nil, r.index, &entryResult{outs: r.outs, errs: r.errs})
}
