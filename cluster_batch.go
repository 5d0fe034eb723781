package fleetdb

import (
	"context"

	"github.com/fleetdb-go/fleetdb/query"
)

// clusterBatch is a cluster member's QueryBatch (server.BatchExecutor):
// the gets (point selects, linearizable) an event loop reads in one turn
// join one read-index round, started at the end of the turn (Commit,
// replication.Node.StartReadBarriers), instead of one by one through
// StartQuery, which started a round for the first get of a turn before
// the others had arrived. Everything else (writes, other reads, local
// reads) is declined and goes through StartQuery or Query as before.
//
// The answers of one connection's pipelined gets keep their order: they
// join the same round, whose reads run in the order they joined, and a
// get that no index answers runs the general path (which may scan) in
// its turn, on the goroutine that runs the round's reads, as a standalone
// server's loop runs such a read inline.
type clusterBatch struct {
	db    *DB
	fns   []func(error)
	reqs  [][]byte
	ctxs  []context.Context
	dones []func([]byte, error)
}

// Add takes req if it is a linearizable get of an open member: done is
// called once, after Commit, with what Query would return. req must stay
// valid until then.
func (b *clusterBatch) Add(ctx context.Context, req []byte, done func(out []byte, err error)) bool {
	db := b.db
	if _, ok := db.repl.(*clusterNode); !ok || db.closed.Load() || ctx.Err() != nil {
		return false
	}
	if query.ReadConsistencyFrom(ctx) == query.ReadLocal {
		return false
	}
	p, ok := query.ParsePoint(req)
	if !ok {
		return false
	}
	b.fns = append(b.fns, db.pointAfterBarrier(p, req, done, true))
	b.reqs = append(b.reqs, req)
	b.ctxs = append(b.ctxs, ctx)
	b.dones = append(b.dones, done)
	return true
}

// Commit starts the read-index round of the gets added since the last
// Commit. When no leader is known (or the node closed) they run through
// Query, which waits for one, in their order on one goroutine.
func (b *clusterBatch) Commit() {
	if len(b.fns) == 0 {
		return
	}
	c := b.db.repl.(*clusterNode)
	if !c.n.StartReadBarriers(b.ctxs[0], b.fns) {
		reqs := append([][]byte(nil), b.reqs...)
		ctxs := append([]context.Context(nil), b.ctxs...)
		dones := append([]func([]byte, error){}, b.dones...)
		go func() {
			for i, req := range reqs {
				dones[i](b.db.Query(ctxs[i], req))
			}
		}()
	}
	clear(b.fns)
	clear(b.reqs)
	clear(b.ctxs)
	clear(b.dones)
	b.fns, b.reqs, b.ctxs, b.dones = b.fns[:0], b.reqs[:0], b.ctxs[:0], b.dones[:0]
}
