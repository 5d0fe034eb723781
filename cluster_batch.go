package fleetdb

import (
	"context"
	"slices"

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
	db     *DB
	points []query.Point
	reqs   [][]byte
	ctxs   []context.Context
	dones  []func([]byte, error)
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
	n := len(b.points)
	b.points = append(b.points, query.Point{}) // parsed in place (Point.Parse)
	if !b.points[n].Parse(req) {
		b.points = b.points[:n]
		return false
	}
	b.reqs = append(b.reqs, req)
	b.ctxs = append(b.ctxs, ctx)
	b.dones = append(b.dones, done)
	return true
}

// Commit starts the read-index round of the gets added since the last
// Commit, all answered by one callback (clusterReads.run) once the barrier
// has passed. When no leader is known (or the node closed) they run
// through Query, which waits for one, in their order on one goroutine.
func (b *clusterBatch) Commit() {
	if len(b.points) == 0 {
		return
	}
	c := b.db.repl.(*clusterNode)
	r := &clusterReads{
		db:     b.db,
		points: slices.Clone(b.points),
		reqs:   slices.Clone(b.reqs),
		dones:  slices.Clone(b.dones),
	}
	if !c.n.StartReadBarriers(b.ctxs[0], []func(error){r.run}) {
		ctxs := slices.Clone(b.ctxs)
		go func() {
			for i, req := range r.reqs {
				r.dones[i](b.db.Query(ctxs[i], req))
			}
		}()
	}
	clear(b.points)
	clear(b.reqs)
	clear(b.ctxs)
	clear(b.dones)
	b.points, b.reqs, b.ctxs, b.dones = b.points[:0], b.reqs[:0], b.ctxs[:0], b.dones[:0]
}

// clusterReads are the gets of one Commit, answered together once their
// read barrier has passed.
type clusterReads struct {
	db     *DB
	points []query.Point
	reqs   [][]byte
	dones  []func([]byte, error)
}

// run answers the gets in their order, after the barrier (err: it
// failed): those that read one record by id from records looked up
// together (lookupPoints: their cache misses overlap), the others through
// Point.Select or, where no index answers, the general path, right there
// (their answers must keep their order; answerPoint).
func (r *clusterReads) run(err error) {
	db := r.db
	switch {
	case db.closed.Load():
		for _, done := range r.dones {
			done(nil, ErrClosed)
		}
		return
	case err != nil:
		err = clusterErr(err)
		for _, done := range r.dones {
			done(nil, err)
		}
		return
	}
	v := db.cur.Load()
	var (
		recs [readsMax]string
		byID [readsMax]bool
	)
	for lo := 0; lo < len(r.points); lo += readsMax {
		hi := min(lo+readsMax, len(r.points))
		lookupPoints(v, r.points[lo:hi], recs[:hi-lo], byID[:hi-lo])
		for i := lo; i < hi; i++ {
			if byID[i-lo] {
				rec := recs[i-lo]
				r.dones[i](query.AppendByIDResult(make([]byte, 0, len(rec)+2), rec), nil)
				continue
			}
			db.answerPoint(v, &r.points[i], r.reqs[i], r.dones[i], true)
		}
	}
}
