package replication

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetdb-go/fleetdb/query"
	"github.com/hashicorp/raft"
)

// ReadBarrier returns once this node's published value reflects every
// write committed before the call, so that a read on it is linearizable:
// the node learns the leader's read index (on the leader: record the
// commit index, confirm leadership with a round of heartbeats, check the
// term did not change; on a follower: ask the leader for it) and waits
// until it has applied that index. Concurrent reads share one round.
//
// A context carrying query.ReadLocal returns at once (no round trip; the
// read may be stale, but never misses this node's own acknowledged
// writes). Errors: ErrNoLeader when no leader confirmed within
// ApplyTimeout, ErrClosed, or ctx's error.
func (n *Node) ReadBarrier(ctx context.Context) error {
	if query.ReadConsistencyFrom(ctx) == query.ReadLocal {
		return nil
	}
	if n.ctx.Err() != nil {
		return ErrClosed
	}
	// The common case costs no context of its own: one attempt with the
	// leader known (a round ends within ApplyTimeout by itself) and the
	// index already applied. Only waiting (for a leader, a retry, the
	// index) is bounded by a deadline ApplyTimeout after the start.
	start := time.Now()
	index, err := n.readIndexOnce(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		if index, err = n.readIndexRetry(ctx, start); err != nil {
			return err
		}
	}
	return n.awaitRead(ctx, start, index)
}

// readIndexRetry asks whichever member leads for a read index until one
// answers, or until ApplyTimeout after start (see retry).
func (n *Node) readIndexRetry(ctx context.Context, start time.Time) (uint64, error) {
	dctx, cancel := context.WithDeadline(ctx, start.Add(n.cfg.ApplyTimeout))
	defer cancel()
	var index uint64
	err := n.retry(dctx, func(_ raft.ServerAddress, id raft.ServerID) error {
		var err error
		index, err = n.readIndexOf(dctx, id)
		return err
	})
	return index, err
}

// awaitRead waits until this node has applied index, a read index, up to
// ApplyTimeout after start.
func (n *Node) awaitRead(ctx context.Context, start time.Time, index uint64) error {
	if n.fsm.progress.index.Load() >= index {
		return nil
	}
	wctx, cancel := context.WithDeadline(ctx, start.Add(n.cfg.ApplyTimeout))
	defer cancel()
	if err := n.fsm.progress.waitIndex(wctx, index); err != nil {
		return fmt.Errorf("replication: read index %d not applied in time: %w", index, err)
	}
	return nil
}

// readIndexOnce asks the leader known now for a read index, once.
func (n *Node) readIndexOnce(ctx context.Context) (uint64, error) {
	_, id := n.raft.LeaderWithID()
	if id == "" {
		return 0, ErrNoLeader
	}
	return n.readIndexOf(ctx, id)
}

// readIndexOf joins the next read-index round: as the leader if id is this
// node, else asked of the leader.
func (n *Node) readIndexOf(ctx context.Context, id raft.ServerID) (uint64, error) {
	if id == n.self {
		return n.leaderReads.get(ctx)
	}
	return n.followerReads.get(ctx)
}

// leaderRound computes a read index as the leader: it waits until an entry
// of its term is applied (so its commit index is current, Raft §6.4),
// records the commit index, confirms it still leads, and checks that the
// term did not change meanwhile.
func (n *Node) leaderRound(ctx context.Context) (uint64, error) {
	term := n.raft.CurrentTerm()
	if !n.isLeader() {
		return 0, ErrNotLeader
	}
	if err := n.fsm.progress.waitTerm(ctx, term); err != nil {
		return 0, fmt.Errorf("%w: no entry of term %d applied yet: %w", ErrNotLeader, term, err)
	}
	index := n.raft.CommitIndex()
	if err := n.confirmLeader(ctx, term); err != nil {
		return 0, err
	}
	if n.raft.CurrentTerm() != term {
		return 0, fmt.Errorf("%w: the term changed", ErrNotLeader)
	}
	return index, nil
}

// followerRound asks the leader for its read index, naming this node
// (askerindex.go).
func (n *Node) followerRound(ctx context.Context) (uint64, error) {
	addr, id := n.raft.LeaderWithID()
	if id == "" || id == n.self {
		return 0, ErrNotLeader
	}
	status, answer, err := n.link.call(ctx, string(addr), opReadIndex, n.askPayload())
	if err != nil {
		return 0, err
	}
	if status != stOK {
		return 0, remoteError(status, answer)
	}
	return n.parseReadIndexAnswer(answer)
}

// rounds groups concurrent callers into rounds of one computation each: a
// caller joins the next round to start (never one already running, whose
// result may predate the caller). Up to maxRounds rounds run at once, so
// that a caller who arrives during a round does not wait for it to end
// before its own starts (raft coalesces the leadership checks of rounds
// that overlap into the same heartbeats).
type rounds struct {
	n   *Node
	run func(ctx context.Context) (uint64, error)
	// async, if set, starts a round's computation without a goroutine of
	// its own, setting cur's index and err and calling finish once done;
	// false if it cannot (run then does it on a goroutine). See
	// roundsasync.go.
	async func(cur *round, finish func()) bool

	// count and joined: rounds started, callers who joined them (the
	// closing log line's figures).
	count, joined atomic.Uint64

	// mu guards running and next.
	mu      sync.Mutex
	running int
	next    *round // the round callers join now; nil: none asked yet
}

// maxRounds is how many rounds of one kind run at once. Each round costs
// a forwarded request or a heartbeat to every follower whatever the
// number of its readers, and on a machine whose cores are busy fewer,
// fuller rounds serve more reads: three serve processes, 64 connections
// of linearizable gets through every member, two runs each, interleaved
// (cores 97-99 % busy): 4 rounds 29.8k, 33.4k reads/s at 33.2, 31.6 µs
// of the members' CPU per read; 2 rounds 35.5k, 34.9k/s at 29.6, 28.4
// µs; 1 round 34.3k, 48.5k/s at 29.4, 27.6 µs. Two keeps most of the
// saving, and a reader who arrives during a round still need not wait
// for it to end.
const maxRounds = 2

// round is one computation's result, shared by its callers: done is
// closed once index and err are set, and then calls (the callers who did
// not wait, see start) get them.
type round struct {
	done  chan struct{}
	calls []func(error) // read barriers started with start (StartReadBarrier)
	start time.Time     // when its computation began
	index uint64
	err   error
}

func newRounds(n *Node, run func(context.Context) (uint64, error)) *rounds {
	return &rounds{n: n, run: run}
}

// get joins the next round and returns its result.
func (r *rounds) get(ctx context.Context) (uint64, error) {
	r.joined.Add(1)
	r.mu.Lock()
	next := r.joinLocked()
	r.mu.Unlock()
	if next == nil {
		return 0, ErrClosed
	}
	select {
	case <-next.done:
		return next.index, next.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// start joins the next round with a read barrier that does not wait for
// it: fn gets the barrier's outcome once the round ended and this node
// applied its index (finishRound). It reports false, and fn is never
// called, once the node is closed.
func (r *rounds) start(fn func(error)) bool {
	r.joined.Add(1)
	r.mu.Lock()
	if r.async != nil && r.next == nil && r.running < maxRounds {
		// A round can begin now, this caller's own, started from here.
		r.running++
		r.mu.Unlock()
		r.launch(&round{done: make(chan struct{}), calls: []func(error){fn}})
		return true
	}
	defer r.mu.Unlock()
	next := r.joinLocked()
	if next == nil {
		return false
	}
	next.calls = append(next.calls, fn)
	return true
}

// joinLocked returns the next round, making it (and starting a loop to
// run it, when fewer than maxRounds run) if there is none; nil once the
// node is closed. r.mu must be held.
func (r *rounds) joinLocked() *round {
	if r.next != nil {
		return r.next
	}
	next := &round{done: make(chan struct{})}
	if r.running < maxRounds {
		if !r.n.goOwned(r.loop) {
			return nil
		}
		r.running++
	}
	r.next = next
	return next
}

// loop runs rounds while callers wait: each round is computed for every
// caller who joined it before it started.
func (r *rounds) loop() {
	for {
		r.mu.Lock()
		cur := r.next
		r.next = nil
		if cur == nil {
			r.running--
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		cur.start = time.Now()
		r.count.Add(1)
		r.runOne(cur)
	}
}

// runOne computes cur on this goroutine and hands its result on.
func (r *rounds) runOne(cur *round) {
	ctx, cancel := context.WithTimeout(r.n.ctx, r.n.cfg.ApplyTimeout)
	cur.index, cur.err = r.run(ctx)
	cancel()
	close(cur.done)
	if len(cur.calls) > 0 {
		// On a goroutine of their own, so that the next round need not
		// wait for the reads they run; one for the whole round.
		if !r.n.goOwned(func() { r.n.finishRound(cur) }) {
			for _, fn := range cur.calls {
				fn(ErrClosed)
			}
		}
	}
}
