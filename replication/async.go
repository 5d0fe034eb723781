package replication

import (
	"context"

	"github.com/fleetdb-go/fleetdb/query"
)

// The asynchronous forms of Write and ReadBarrier, for a server's event
// loop (server.AsyncExecutor): the caller goes on at once and is called
// back with the outcome, so that a query waiting for Raft needs no
// goroutine of its own. A write rides in its batch until commitBatch
// answers it; a read joins the next read-index round, whose end answers
// all of its reads (etcd batches its ReadIndex requests the same way):
// on a follower, the link's reader goroutine that got the leader's answer
// runs them (roundsasync.go); on the leader, and when the index is not
// applied yet, one goroutine per round waits for it (finishRound).

// StartWrite replicates one write as Write does, without waiting: done is
// called exactly once, from another goroutine or before StartWrite
// returns, with what Write would have returned. It reports false, having
// done nothing, when the write cannot be queued at once (the queue is
// full or the node closed): call Write then. req must stay valid until
// done is called.
func (n *Node) StartWrite(req []byte, q query.Query, done func(out []byte, err error)) bool {
	if !q.IsWrite() {
		return false
	}
	r := &writeReq{then: func(r *writeReq) {
		if r.err != nil {
			done(nil, r.err)
			return
		}
		done(r.outs[0], r.errs[0])
	}}
	r.one[0] = req
	r.reqs = r.one[:]
	return n.sendq.tryAdd(r)
}

// StartReadBarrier passes the read barrier of ctx's read consistency as
// ReadBarrier does, without waiting: fn is called exactly once, from
// another goroutine or before StartReadBarrier returns, with what
// ReadBarrier would have returned, once a read on this node's published
// value is linearizable. It reports false, having done nothing, when no
// leader is known or the node is closed: call ReadBarrier then (which
// waits for a leader). ctx is not watched once the read joined a round
// (the round ends within ApplyTimeout).
func (n *Node) StartReadBarrier(ctx context.Context, fn func(error)) bool {
	if query.ReadConsistencyFrom(ctx) == query.ReadLocal {
		fn(nil)
		return true
	}
	r, ok := n.readRounds()
	return ok && r.start(fn)
}

// readRounds returns the rounds a read barrier joins: the leader's own if
// this node leads, else the follower's; false when the node is closed or
// knows no leader.
func (n *Node) readRounds() (*rounds, bool) {
	if n.ctx.Err() != nil {
		return nil, false
	}
	_, id := n.raft.LeaderWithID()
	if id == "" {
		return nil, false
	}
	if id == n.self {
		return n.leaderReads, true
	}
	return n.followerReads, true
}

// finishRound answers the read barriers started in a round (rounds.start)
// once this node has applied the round's index; a round that failed is
// retried once for all of them, as ReadBarrier retries (a round that
// begins after they all began serves them all).
func (n *Node) finishRound(cur *round) {
	index, err := cur.index, cur.err
	if err != nil {
		index, err = n.readIndexRetry(n.ctx, cur.start)
	}
	if err == nil {
		err = n.awaitRead(n.ctx, cur.start, index)
	}
	if err != nil && n.ctx.Err() != nil {
		err = ErrClosed
	}
	for _, fn := range cur.calls {
		fn(err)
	}
}
