package fleetdb

import (
	"context"

	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/query"
)

// startClusterQuery is StartQuery on a cluster member: a write joins the
// node's pending writes and a read the node's next read-index round, and
// done is called when the write is applied here or the read has passed
// the barrier and run (replication.Node.StartWrite, StartReadBarrier), so
// that the server's event loop needs no goroutine per query (each spent
// most of its time growing its stack and being scheduled). Everything
// else (cluster and session queries, snapshots, watches), a request that
// does not parse, and a query that would wait to be started (no leader
// known, a full queue, a closing node) is declined: Query runs it.
func (db *DB) startClusterQuery(ctx context.Context, req []byte, done func(out []byte, err error)) bool {
	c, ok := db.repl.(*clusterNode)
	if !ok || db.closed.Load() || ctx.Err() != nil {
		return false
	}
	if p, ok := query.ParsePoint(req); ok {
		return db.startClusterRead(ctx, c, done, func(v *dbvalue.Value) ([]byte, error) {
			if out, ok := p.Select(nil, v); ok {
				return out, nil
			}
			q, err := query.Parse(req)
			if err != nil {
				return nil, err
			}
			return query.Execute(nil, v, q, &db.env)
		})
	}
	q, err := query.Parse(req)
	if err != nil {
		return false
	}
	switch q.(type) {
	case query.Auth, query.Compact, query.ClusterJoin, query.ClusterRemove, query.SetReadConsistency,
		query.SnapshotOpen, query.SnapshotRead, query.SnapshotClose, query.Watch, query.Unwatch:
		return false
	}
	if q.IsWrite() {
		return c.n.StartWrite(req, q, func(out []byte, err error) { done(out, clusterErr(err)) })
	}
	return db.startClusterRead(ctx, c, done, func(v *dbvalue.Value) ([]byte, error) {
		return query.Execute(nil, v, q, &db.env)
	})
}

// startClusterRead runs read once the read barrier of ctx's consistency
// is passed, on the value published then (as readView would return), and
// hands its result to done.
func (db *DB) startClusterRead(ctx context.Context, c *clusterNode, done func([]byte, error),
	read func(*dbvalue.Value) ([]byte, error)) bool {
	return c.n.StartReadBarrier(ctx, func(err error) {
		switch {
		case db.closed.Load():
			done(nil, ErrClosed)
		case err != nil:
			done(nil, clusterErr(err))
		default:
			done(read(db.cur.Load()))
		}
	})
}
