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
	"github.com/fleetdb-go/fleetdb/internal/jsontext"
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
	// helpers run the parts of a large insert and of its parse
	// (parallel.go); Close stops them.
	helpers *helpers
	aof     *aof.Log   // nil when ephemeral
	repl    replicator // nil unless the DB is a cluster node
	unlock  func()     // releases the log's lock file
	log     *slog.Logger

	// Background work (compaction) is owned by the DB: started with bgCtx,
	// joined in Close.
	bgCtx    context.Context
	bgCancel context.CancelFunc
	bg       sync.WaitGroup

	defrag defragger // defrag.go

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

// newDB returns a DB of opts that can replay a log: its commands, its
// logger, its helpers (stopped by Close, or by CheckLog) and the query
// environment, which its writes see. Open starts the rest.
func newDB(opts Options) *DB {
	db := &DB{opts: opts, cmds: map[string]query.CommandFunc{}, log: opts.logger()}
	for name, cmd := range opts.Commands {
		db.Register(name, cmd)
	}
	db.helpers = newHelpers()
	db.env = query.Env{Info: db.appendInfo, Command: db.command, Parallel: db.helpers.run}
	return db
}

// OpenContext is Open with a context that bounds the parts of opening that
// wait on others (a new cluster member asking to be admitted).
//
// Open chooses one write path and starts only it: a cluster member's writes
// go through Raft (package replication), any other database's through the
// write queue and, with a Path, the log. A failed Open releases everything
// it started (the Raft node, the log, its lock file, goroutines).
func OpenContext(ctx context.Context, opts Options) (_ *DB, err error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	db := newDB(opts)
	db.cur.Store(dbvalue.Empty())
	db.hub = newHub(opts, dbvalue.Empty())
	db.pins = newPins(opts.MaxSnapshots)
	db.bgCtx, db.bgCancel = context.WithCancel(context.Background())
	db.defrag.idle = opts.DefragIdle
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	if opts.Cluster != nil {
		if err := db.openCluster(ctx); err != nil {
			return nil, err
		}
		return db, nil
	}
	if opts.Path != "" {
		if err := db.openLog(nil); err != nil {
			return nil, err
		}
	}
	db.writer = &writer{db: db}
	q, err := writequeue.New[*writeReq](db.writer, writequeue.Options{MaxBatch: opts.MaxBatch, QueueSize: opts.QueueSize})
	if err != nil {
		return nil, err
	}
	db.queue = q
	return db, nil
}

// Close stops accepting queries, finishes the writes already queued (or,
// on a cluster member, leaves the cluster's work and stops the Raft node),
// stops a running compaction (the log stays as it was) and syncs and closes
// the log. Queries after Close fail with ErrClosed, reads of snapshots too.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.closed.Store(true)
		var errs []error
		if db.repl != nil {
			errs = append(errs, db.repl.Close())
		}
		if db.queue != nil {
			errs = append(errs, db.queue.Close())
		}
		db.stopDefrag()
		db.bgCancel()
		db.bg.Wait()
		db.helpers.close()
		if db.aof != nil {
			errs = append(errs, db.aof.Close())
		}
		db.releaseLock()
		for _, err := range errs {
			if err != nil {
				db.closeErr = err
				break
			}
		}
	})
	return db.closeErr
}

// Query runs one request (a JSON query, docs/query-language.md) and returns its JSON
// result, the value the protocol sends after status 0.
func (db *DB) Query(ctx context.Context, req []byte) ([]byte, error) {
	var p query.Point
	if p.Parse(req) {
		// A select of one equality: read from the text, without a Query
		// value or a plan (package query, point.go).
		v, err := db.readView(ctx)
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
	parse := query.Parse
	if db.repl == nil {
		// req is the caller's until Query returns, and a standalone
		// write is answered by then (a cluster's may still be in flight).
		// A large insert's check and parse share the writer's idle cores.
		parse = func(req []byte) (query.Query, error) { return query.ParseViewWith(req, db.helpers.run) }
	}
	q, err := parse(req)
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
	if isPing(req) {
		// What Execute answers, without parsing (the pipelined ping of a
		// load generator spent 40 % of the server's CPU in Parse).
		if _, err := db.readView(ctx); err != nil {
			return dst, true, err
		}
		return append(dst, `"pong"`...), true, nil
	}
	var p query.Point
	if p.Parse(req) {
		v, err := db.readView(ctx)
		if err != nil {
			return dst, true, err
		}
		if out, ok := p.Select(dst, v); ok {
			return out, true, nil
		}
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
	v, err := db.readView(ctx) // never waits: not a cluster member
	if err != nil {
		return dst, true, err
	}
	out, err = query.Execute(dst, v, q, &db.env)
	return out, true, err
}

// isPing reports whether req is ["ping"], with JSON whitespace anywhere
// between the tokens.
func isPing(req []byte) bool {
	i := 0
	for _, tok := range [...]string{"[", `"ping"`, "]"} {
		i = jsontext.SkipSpace(req, i)
		if len(req)-i < len(tok) || string(req[i:i+len(tok)]) != tok {
			return false
		}
		i += len(tok)
	}
	return jsontext.SkipSpace(req, i) == len(req)
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
	v, err := db.readView(ctx)
	if err != nil {
		return nil, err
	}
	return query.Execute(nil, v, q, &db.env)
}

// readView is the one door of every read (Query, the typed reads,
// SnapshotContext): it fails with ErrClosed after Close and with
// ErrUnavailable once ctx has ended, and on a cluster member it passes the
// read barrier of ctx's read consistency (linearizable unless ctx asks for
// ReadLocal). It returns the value the read must see.
func (db *DB) readView(ctx context.Context) (*dbvalue.Value, error) {
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
// it replicates writes, makes reads linearizable and manages membership. Set
// only by the cluster mode of Open; a DB with a replicator has no write
// queue and no log of its own.
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
	// WriteStats returns the counters of the node's write path.
	WriteStats() writeStats
	// Join, Remove, Status and TransferLeadership are DB.ClusterJoin,
	// DB.ClusterRemove, DB.ClusterStatus and DB.TransferLeadership.
	Join(ctx context.Context, id, raftAddr, clientAddr string) error
	Remove(ctx context.Context, id string) error
	Status() ClusterStatus
	TransferLeadership(ctx context.Context) error
	// WaitReady returns once the node can answer its first query without
	// a catch-up (DB.WaitReady).
	WaitReady(ctx context.Context) error
	// Ready reports whether WaitReady would return at once.
	Ready() bool
	// Close leaves the cluster's work on this node and stops it.
	Close() error
}

// write hands one write to the single writer and waits until it is applied
// (and durable, with a log) and published.
func (db *DB) write(ctx context.Context, req []byte, q query.Query) ([]byte, error) {
	w := writeReqs.Get().(*writeReq)
	w.req, w.q = req, q
	if err := db.submit(ctx, w); err != nil {
		return nil, err // (w is not reused: a canceled request may still sit in the queue)
	}
	out, err := w.out, w.err
	*w = writeReq{}
	writeReqs.Put(w)
	return out, err
}

// writeReqs recycles the requests of Query's writes: once Submit has
// returned nil the writer is done with one (a single insert allocated one
// fewer object).
var writeReqs = sync.Pool{New: func() any { return new(writeReq) }}

// StartQuery starts a write of a standalone database without waiting for
// it: the write is queued for the single writer, and done is called on the
// writer's goroutine, once the write is durable and published, with what
// Query would have returned. It reports false, having done nothing, for
// any other query, a request that does not parse, a closed database or a
// full queue: Query then does the work (and reports the error). On a
// cluster member it starts writes and reads alike (startClusterQuery). It
// implements server.AsyncExecutor, which lets the server's event loop go
// on with other connections while writes wait for their fsync, and answer
// a whole batch at once.
func (db *DB) StartQuery(ctx context.Context, req []byte, done func(out []byte, err error)) bool {
	if db.repl != nil {
		return db.startClusterQuery(ctx, req, done)
	}
	q, ok := db.asyncWrite(req)
	if !ok {
		return false
	}
	w := &writeReq{req: req, q: q}
	err := db.queue.SubmitAsync(ctx, w, func(err error) { w.answer(done, err) })
	return err == nil
}

// asyncWrite parses req for StartQuery and QueryBatch.Add: a write of a
// standalone, open database that the single writer runs as it is.
func (db *DB) asyncWrite(req []byte) (query.Query, bool) {
	if db.repl != nil || db.queue == nil || db.closed.Load() {
		return nil, false
	}
	// req stays valid until done is called; a large insert's check and
	// parse share the writer's idle cores, as in Query.
	q, err := query.ParseViewWith(req, db.helpers.run)
	if err != nil || !q.IsWrite() {
		return nil, false
	}
	switch q.(type) {
	case query.Auth, query.Compact, query.ClusterJoin, query.ClusterRemove, query.SetReadConsistency:
		return nil, false
	}
	return q, true
}

// submit hands a request to the writer and maps the queue's errors.
func (db *DB) submit(ctx context.Context, w *writeReq) error {
	if err := db.queue.Submit(ctx, w); err != nil {
		return submitError(err)
	}
	return nil
}

// submitError maps an error of the write queue to the DB's.
func submitError(err error) error {
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

// Snapshot returns a read-only view of the database as this member has
// applied it now, without waiting: on a cluster member it is what a
// ReadLocal read sees (SnapshotContext waits for the read barrier). It never
// sees later writes and costs nothing to keep (it shares the value); its
// reads fail with ErrClosed once the database is closed.
func (db *DB) Snapshot() *Snapshot { return &Snapshot{db: db, v: db.cur.Load()} }

// SnapshotContext returns a read-only view of the database after the checks
// every read passes: ErrClosed after Close, ErrUnavailable once ctx has
// ended, and on a cluster member the read barrier of ctx's read consistency
// (the view reflects every write acknowledged before the call, unless ctx
// asks for ReadLocal).
func (db *DB) SnapshotContext(ctx context.Context) (*Snapshot, error) {
	v, err := db.readView(ctx)
	if err != nil {
		return nil, err
	}
	return &Snapshot{db: db, v: v}, nil
}

// value returns the published value (tests).
func (db *DB) value() *dbvalue.Value { return db.cur.Load() }
