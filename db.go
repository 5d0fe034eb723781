package fleetdb

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/fleetdb-go/fleetdb/aof"
	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/query"
	"github.com/fleetdb-go/fleetdb/writequeue"
)

// DB is an open database. It is safe for concurrent use.
type DB struct {
	opts Options

	// cur is the published value. Readers Load it without locking; only the
	// write queue's goroutine (through writer.Publish) Stores.
	cur atomic.Pointer[dbvalue.Value]

	queue  *writequeue.Queue[*writeReq]
	writer *writer
	aof    *aof.Log   // nil when ephemeral
	repl   replicator // nil unless the DB is a cluster node
	unlock func()     // releases the log's lock file
	log    *slog.Logger

	// Background work (compaction) is owned by the DB: started with bgCtx,
	// joined in Close.
	bgCtx    context.Context
	bgCancel context.CancelFunc
	bg       sync.WaitGroup

	compacting  atomic.Bool
	compactBase atomic.Int64 // log size after the last compaction (or at open)
	compactions struct{ done, failed atomic.Int64 }

	// cmdMu guards cmds, the user-defined write commands.
	cmdMu sync.RWMutex
	cmds  map[string]query.CommandFunc

	// hub keeps the history of changes and feeds the watchers (hub.go).
	hub *hub
	// pins are the pinned snapshots (pinned.go).
	pins *pins

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
	env       query.Env
}

// Open opens a database: ephemeral, on a log file (replayed first), or as a
// cluster member. It is OpenContext without a deadline.
func Open(opts Options) (*DB, error) { return OpenContext(context.Background(), opts) }

// OpenContext is Open with a context that bounds the parts of opening that
// wait on others (a new cluster member asking to be admitted).
func OpenContext(ctx context.Context, opts Options) (*DB, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	db := &DB{opts: opts, cmds: map[string]query.CommandFunc{}, log: opts.logger()}
	for name, cmd := range opts.Commands {
		db.Register(name, cmd)
	}
	db.env = query.Env{Info: db.appendInfo, Command: db.command}
	db.cur.Store(dbvalue.Empty())
	db.hub = newHub(opts, dbvalue.Empty())
	db.pins = newPins(opts.MaxSnapshots)
	db.bgCtx, db.bgCancel = context.WithCancel(context.Background())
	if opts.Cluster != nil {
		if err := db.openCluster(ctx); err != nil {
			return nil, err
		}
	}
	if opts.Path != "" {
		if err := db.openLog(nil); err != nil {
			return nil, err
		}
	}
	db.writer = &writer{db: db}
	q, err := writequeue.New[*writeReq](db.writer, writequeue.Options{MaxBatch: opts.MaxBatch, QueueSize: opts.QueueSize})
	if err != nil {
		if db.aof != nil {
			db.aof.Close()
		}
		db.releaseLock()
		return nil, err
	}
	db.queue = q
	return db, nil
}

// Close stops accepting queries, finishes the writes already queued, stops
// a running compaction (the log stays as it was) and syncs and closes the
// log. Queries after Close fail with ErrClosed.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.closed.Store(true)
		var rerr error
		if db.repl != nil {
			rerr = db.repl.Close()
		}
		err := db.queue.Close()
		if err == nil {
			err = rerr
		}
		db.bgCancel()
		db.bg.Wait()
		if db.aof != nil {
			if cerr := db.aof.Close(); err == nil {
				err = cerr
			}
		}
		db.releaseLock()
		db.closeErr = err
	})
	return db.closeErr
}

// Query runs one request (a JSON query, SPEC §4) and returns its JSON
// result, the value the protocol sends after status 0.
func (db *DB) Query(ctx context.Context, req []byte) ([]byte, error) {
	if p, ok := query.ParsePoint(req); ok {
		// A select of one equality: read from the text, without a Query
		// value or a plan (package query, point.go).
		v, err := db.readValue(ctx)
		if err != nil {
			return nil, err
		}
		if out, ok := p.Select(nil, v); ok {
			return out, nil
		}
		q, err := query.Parse(req)
		if err != nil {
			return nil, err
		}
		return query.Execute(nil, v, q, &db.env)
	}
	q, err := query.Parse(req)
	if err != nil {
		return nil, err
	}
	return db.run(ctx, req, q)
}

// AppendQuery runs req at once if it is a read of a standalone database,
// which never waits, and appends its JSON result to dst (ran true). Writes,
// compactions, cluster queries and every query of a cluster member (whose
// reads may ask the leader) are declined (ran false, nothing done): run
// them with Query. It implements server.InlineExecutor, which lets the
// server answer reads on its event loop without a goroutine hand-off.
func (db *DB) AppendQuery(ctx context.Context, dst, req []byte) (out []byte, ran bool, err error) {
	if db.repl != nil {
		return dst, false, nil
	}
	q, err := query.Parse(req)
	if err != nil {
		return dst, true, err
	}
	switch q := q.(type) {
	case query.Auth, query.Compact, query.ClusterJoin, query.ClusterRemove, query.SetReadConsistency,
		query.Watch, query.Unwatch:
		return dst, false, nil
	case query.SnapshotRead:
		// Into dst: a backup's pages reuse the connection's buffer.
		v, err := db.pins.get(q.ID)
		if err != nil {
			return dst, true, err
		}
		out, err = query.Execute(dst, v, q.Query, &db.env)
		return out, true, err
	case query.SnapshotOpen, query.SnapshotClose:
		out, err := db.pinnedQuery(ctx, q)
		return append(dst, out...), true, err
	}
	if q.IsWrite() {
		return dst, false, nil
	}
	if db.closed.Load() {
		return dst, true, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return dst, true, unavailable("fleetdb: query not run", err)
	}
	out, err = query.Execute(dst, db.cur.Load(), q, &db.env)
	return out, true, err
}

// run runs a parsed query; req is its JSON text (what the log records).
func (db *DB) run(ctx context.Context, req []byte, q query.Query) ([]byte, error) {
	if db.closed.Load() {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, unavailable("fleetdb: query not run", err)
	}
	switch q := q.(type) {
	case query.Auth:
		return []byte(`"auth unneeded"`), nil
	case query.Compact:
		started, err := db.Compact(ctx)
		if err != nil {
			return nil, err
		}
		return strconv.AppendBool(nil, started), nil
	case query.ClusterJoin, query.ClusterRemove, query.SetReadConsistency:
		return db.clusterQuery(ctx, q)
	case query.SnapshotOpen, query.SnapshotRead, query.SnapshotClose, query.Watch, query.Unwatch:
		return db.pinnedQuery(ctx, q)
	default:
		if q.IsWrite() {
			if db.repl != nil {
				return db.repl.Write(ctx, req, q)
			}
			return db.write(ctx, req, q)
		}
	}
	v, err := db.readValue(ctx)
	if err != nil {
		return nil, err
	}
	return query.Execute(nil, v, q, &db.env)
}

// readValue returns the value a read of the DB sees, after the checks every
// read passes: the DB is open, the context is live, and in a cluster the
// read barrier of the read-consistency setting.
func (db *DB) readValue(ctx context.Context) (*dbvalue.Value, error) {
	if db.closed.Load() {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, unavailable("fleetdb: query not run", err)
	}
	if db.repl != nil {
		if err := db.repl.ReadBarrier(ctx); err != nil {
			return nil, err
		}
	}
	return db.cur.Load(), nil
}

// replicator is a cluster node as the DB sees it (package replication):
// it replicates writes and makes reads linearizable. Set only by the
// cluster mode of Open.
type replicator interface {
	// Write replicates one write and returns its result once it is
	// committed and applied on this node.
	Write(ctx context.Context, req []byte, q query.Query) ([]byte, error)
	// ReadBarrier returns once this node's published value reflects every
	// write committed before the call (or at once for local reads, which
	// the context may ask for).
	ReadBarrier(ctx context.Context) error
	// AppendInfo appends the info fields of a cluster node after
	// "fleetdb-version": "persistent", "db-file-size", "compacting" and
	// the "cluster" object, each followed by a comma.
	AppendInfo(dst []byte) []byte
	// Close leaves the cluster's work on this node and stops it.
	Close() error
}

// write hands one write to the single writer and waits until it is applied
// (and durable, with a log) and published.
func (db *DB) write(ctx context.Context, req []byte, q query.Query) ([]byte, error) {
	w := &writeReq{req: req, q: q}
	if err := db.submit(ctx, w); err != nil {
		return nil, err
	}
	return w.out, w.err
}

// submit hands a request to the writer and maps the queue's errors.
func (db *DB) submit(ctx context.Context, w *writeReq) error {
	if err := db.queue.Submit(ctx, w); err != nil {
		switch {
		case errors.Is(err, writequeue.ErrClosed):
			return ErrClosed
		case errors.Is(err, ErrUnavailable):
			return err
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			return unavailable("fleetdb: write not applied", err)
		}
		return unavailable("fleetdb: write failed", err)
	}
	return nil
}

func (db *DB) appendInfo(dst []byte, v *dbvalue.Value) []byte {
	dst = append(dst, `{"fleetdb-version":"`+query.Version+`","position":`...)
	dst = strconv.AppendUint(dst, v.Seq, 10)
	dst = append(dst, `,"open-snapshots":`...)
	dst = strconv.AppendInt(dst, int64(db.pins.count()), 10)
	dst = append(dst, ',')
	if db.repl != nil {
		dst = db.repl.AppendInfo(dst)
		return append(query.AppendCounts(dst, v), '}')
	}
	dst = append(dst, `"persistent":`...)
	dst = strconv.AppendBool(dst, db.aof != nil)
	if db.aof != nil {
		dst = append(dst, `,"db-file-size":`...)
		dst = strconv.AppendInt(dst, db.aof.Size(), 10)
		dst = append(dst, `,"compacting":`...)
		dst = strconv.AppendBool(dst, db.compacting.Load())
		dst = append(dst, `,"fsync":"`+db.opts.Sync.String()+`"`...)
		if err := db.aof.Err(); err != nil {
			dst = append(dst, `,"log-failed":true`...)
		}
	}
	dst = append(dst, ',')
	return append(query.AppendCounts(dst, v), '}')
}

// Snapshot returns a read-only view of the database as it is now. It never
// sees later writes and costs nothing to keep (it shares the value).
func (db *DB) Snapshot() *Snapshot { return &Snapshot{db: db, v: db.cur.Load()} }

// value returns the published value (tests).
func (db *DB) value() *dbvalue.Value { return db.cur.Load() }
