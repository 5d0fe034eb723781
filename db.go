package fleetdb

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

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

	// cmdMu guards cmds, the user-defined write commands.
	cmdMu sync.RWMutex
	cmds  map[string]query.CommandFunc

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
	env       query.Env
}

// Open opens a database.
func Open(opts Options) (*DB, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	db := &DB{opts: opts, cmds: map[string]query.CommandFunc{}}
	db.env = query.Env{Info: db.appendInfo, Command: db.command}
	db.cur.Store(dbvalue.Empty())
	db.writer = &writer{db: db}
	q, err := writequeue.New[*writeReq](db.writer, writequeue.Options{MaxBatch: opts.MaxBatch, QueueSize: opts.QueueSize})
	if err != nil {
		return nil, err
	}
	db.queue = q
	return db, nil
}

// Close stops accepting queries, finishes the writes already queued and
// closes the log. Queries after Close fail with ErrClosed.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.closed.Store(true)
		db.closeErr = db.queue.Close()
	})
	return db.closeErr
}

// Query runs one request (a JSON query, SPEC §4) and returns its JSON
// result, the value the protocol sends after status 0.
func (db *DB) Query(ctx context.Context, req []byte) ([]byte, error) {
	q, err := query.Parse(req)
	if err != nil {
		return nil, err
	}
	return db.run(ctx, req, q)
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
		return []byte("false"), nil
	default:
		if q.IsWrite() {
			return db.write(ctx, req, q)
		}
	}
	return query.Execute(nil, db.cur.Load(), q, &db.env)
}

// write hands one write to the single writer and waits until it is applied
// (and durable, with a log) and published.
func (db *DB) write(ctx context.Context, req []byte, q query.Query) ([]byte, error) {
	w := &writeReq{req: req, q: q}
	if err := db.queue.Submit(ctx, w); err != nil {
		switch {
		case errors.Is(err, writequeue.ErrClosed):
			return nil, ErrClosed
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			return nil, unavailable("fleetdb: write not applied", err)
		}
		return nil, unavailable("fleetdb: write failed", err)
	}
	return w.out, w.err
}

func (db *DB) appendInfo(dst []byte, v *dbvalue.Value) []byte {
	return query.AppendInfo(dst, v, db.opts.Path != "")
}

// Snapshot returns a read-only view of the database as it is now. It never
// sees later writes and costs nothing to keep (it shares the value).
func (db *DB) Snapshot() *Snapshot { return &Snapshot{db: db, v: db.cur.Load()} }

// value returns the published value (tests).
func (db *DB) value() *dbvalue.Value { return db.cur.Load() }
