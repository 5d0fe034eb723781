package fleetdb

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/query"
)

// DB is an open database. It is safe for concurrent use.
type DB struct {
	opts Options

	// cur is the published value. Readers Load it without locking; only the
	// writer (holding wmu) Stores.
	cur atomic.Pointer[dbvalue.Value]

	// wmu serializes writes: the holder is the single writer.
	wmu sync.Mutex

	// cmdMu guards cmds, the user-defined write commands.
	cmdMu sync.RWMutex
	cmds  map[string]query.CommandFunc

	closed atomic.Bool
	env    query.Env
}

// Open opens a database.
func Open(opts Options) (*DB, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	db := &DB{opts: opts, cmds: map[string]query.CommandFunc{}}
	db.env = query.Env{Info: db.appendInfo, Command: db.command}
	db.cur.Store(dbvalue.Empty())
	return db, nil
}

// Close closes the database. Queries after Close fail with ErrClosed.
func (db *DB) Close() error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	db.closed.Store(true)
	return nil
}

// Query runs one request (a JSON query, SPEC §4) and returns its JSON
// result, the value the protocol sends after status 0.
func (db *DB) Query(ctx context.Context, req []byte) ([]byte, error) {
	q, err := query.Parse(req)
	if err != nil {
		return nil, err
	}
	return db.Run(ctx, q)
}

// Run runs a parsed query.
func (db *DB) Run(ctx context.Context, q query.Query) ([]byte, error) {
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
			return db.write(ctx, q)
		}
	}
	return query.Execute(nil, db.cur.Load(), q, &db.env)
}

// write applies one write as the single writer and publishes the result.
func (db *DB) write(ctx context.Context, q query.Query) ([]byte, error) {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.closed.Load() {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, unavailable("fleetdb: write not applied", err)
	}
	txn := db.cur.Load().Begin()
	out, err := query.Apply(nil, txn, q, &db.env)
	if err != nil {
		return nil, err
	}
	db.cur.Store(txn.Commit())
	return out, nil
}

func (db *DB) appendInfo(dst []byte, v *dbvalue.Value) []byte {
	return query.AppendInfo(dst, v, db.opts.Path != "")
}

// Snapshot returns a read-only view of the database as it is now. It never
// sees later writes and costs nothing to keep (it shares the value).
func (db *DB) Snapshot() *Snapshot { return &Snapshot{db: db, v: db.cur.Load()} }

// value returns the published value (tests).
func (db *DB) value() *dbvalue.Value { return db.cur.Load() }
