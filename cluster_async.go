package fleetdb

import (
	"context"

	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/query"
)

// startClusterQuery is StartQuery on a cluster member: a write joins the
// node's pending writes and a get (a select of one equality, the point
// path) the node's next read-index round, and done is called when the
// write is applied here or the get has passed the barrier and run
// (replication.Node.StartWrite, StartReadBarrier), so that the server's
// event loop needs no goroutine per query (each spent most of its time
// growing its stack and being scheduled). The gets of a round run one
// after the other on one goroutine, so other reads, which may scan, are
// declined, as are cluster and session queries, snapshots, watches, a
// request that does not parse, and a query that would wait to be started
// (no leader known, a full queue, a closing node): Query runs them on a
// goroutine of their own.
func (db *DB) startClusterQuery(ctx context.Context, req []byte, done func(out []byte, err error)) bool {
	c, ok := db.repl.(*clusterNode)
	if !ok || db.closed.Load() || ctx.Err() != nil {
		return false
	}
	var p query.Point
	if p.Parse(req) {
		return c.n.StartReadBarrier(ctx, db.pointAfterBarrier(p, req, done))
	}
	q, err := query.Parse(req)
	if err != nil || !q.IsWrite() {
		return false
	}
	switch q.(type) {
	case query.Auth, query.Compact, query.ClusterJoin, query.ClusterRemove, query.SetReadConsistency:
		return false
	}
	return c.n.StartWrite(req, q, func(out []byte, err error) { done(out, clusterErr(err)) })
}

// pointAfterBarrier returns the read barrier's callback of a point select
// p (req): once the barrier passed it answers p on the published value
// (answerPoint; a point select that no index answers takes the general
// path, which may scan, on a goroutine of its own).
func (db *DB) pointAfterBarrier(p query.Point, req []byte, done func([]byte, error)) func(error) {
	return func(err error) {
		switch {
		case db.closed.Load():
			done(nil, ErrClosed)
		case err != nil:
			done(nil, clusterErr(err))
		default:
			db.answerPoint(db.cur.Load(), &p, req, done, false)
		}
	}
}

// answerPoint answers the point select p (req) on v: through Point.Select,
// or, when no index answers it, the general path, which may scan: right
// there with inOrder (a batch, whose answers must keep their order),
// otherwise on a goroutine of its own.
func (db *DB) answerPoint(v *dbvalue.Value, p *query.Point, req []byte, done func([]byte, error), inOrder bool) {
	if out, ok := p.Select(nil, v); ok {
		done(out, nil)
		return
	}
	general := func() {
		q, err := query.Parse(req)
		if err != nil {
			done(nil, err)
			return
		}
		done(query.Execute(nil, v, q, &db.env))
	}
	if inOrder {
		general()
	} else {
		go general()
	}
}
