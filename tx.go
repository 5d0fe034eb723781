package fleetdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	prep "github.com/fleetdb-go/fleetdb/internal/records"
	"github.com/fleetdb-go/fleetdb/query"
)

// ErrUpdateInCluster is returned by Update on a cluster member: a Go
// function cannot be replicated. Register a command on every member
// (Options.Commands or Register) and run it with Call or ["call", ...].
var ErrUpdateInCluster = errors.New("fleetdb: Update is not available in a cluster: register the transaction as a command (Options.Commands or DB.Register) on every member and run it with DB.Call")

// Update runs fn as one ad-hoc write transaction, in the manner of bbolt's
// and buntdb's Update: the queries fn runs through tx see each other's
// changes, and the whole transaction takes effect at once, or not at all
// if fn returns an error or panics (the error is returned; a panic becomes
// an error). Readers never see a part of it.
//
// fn runs on the database's single writer, so keep it short: other writes
// wait for it. It may be non-deterministic (read the clock, call out): the
// log records the writes it made, not fn. tx is valid only until fn
// returns and must not be used by other goroutines. fn must not write
// through db itself (Query, Insert, Call, ...): that write would wait for
// the writer that runs fn. ctx bounds the wait for the writer.
//
// Update works on ephemeral and standalone databases; a cluster refuses it
// with ErrUpdateInCluster.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	if db.closed.Load() {
		return ErrClosed
	}
	if fn == nil {
		return errors.New("fleetdb: Update: nil function")
	}
	if db.repl != nil {
		return ErrUpdateInCluster
	}
	if err := ctx.Err(); err != nil {
		return unavailable("fleetdb: Update not run", err)
	}
	w := &writeReq{update: func(qtx *query.Tx) error {
		tx := &Tx{tx: qtx}
		defer tx.done()
		return fn(tx)
	}}
	if err := db.submit(ctx, w); err != nil {
		return err
	}
	return w.err
}

// View runs fn on one snapshot of the database, in the manner of bbolt's
// and buntdb's View: every read through s sees the same value whatever is
// written meanwhile. In a cluster the snapshot is taken after the read
// barrier of the context's read consistency.
func (db *DB) View(ctx context.Context, fn func(s *Snapshot) error) error {
	if fn == nil {
		return errors.New("fleetdb: View: nil function")
	}
	// The checks of every read (SnapshotContext, readView).
	s, err := db.SnapshotContext(ctx)
	if err != nil {
		return err
	}
	return fn(s)
}

// runUpdate runs an Update transaction on the writer's goroutine.
func (w *writer) runUpdate(r *writeReq, env *query.Env) error {
	return query.Transact(w.txn, env, r.update)
}

// Tx is the access to the database inside a user command or an Update
// transaction: reads see the transaction's own changes. It is valid only
// while the command or the Update function runs, on its goroutine.
type Tx struct {
	tx   *query.Tx
	over bool // the transaction has ended (Update only)
}

func (t *Tx) done() { t.over = true }

// errTxDone is returned by a Tx used after its Update function returned.
var errTxDone = errors.New("fleetdb: Tx used after its transaction ended")

// Query runs a JSON query (read or write) inside the transaction.
func (t *Tx) Query(req string) (json.RawMessage, error) {
	if t.over {
		return nil, errTxDone
	}
	out, err := t.tx.Run(req)
	return json.RawMessage(out), err
}

// Exec runs a query given as a Go value (marshaled to JSON), e.g.
// []any{"insert", "people", rec}.
func (t *Tx) Exec(q any) (json.RawMessage, error) {
	b, err := json.Marshal(q)
	if err != nil {
		return nil, fmt.Errorf("fleetdb: Tx.Exec: %w", err)
	}
	return t.Query(string(b))
}

// Insert adds records inside the transaction (see DB.Insert).
func (t *Tx) Insert(coll string, records ...any) (int, error) {
	recs := prep.Prepare(records)
	n, err := t.runInt("insert", coll, recs)
	return n, explainNoID("insert", coll, recs, err)
}

// Put inserts or replaces records inside the transaction (see DB.Put).
func (t *Tx) Put(coll string, records ...any) (int, error) {
	recs := prep.Prepare(records)
	n, err := t.runInt("put", coll, recs)
	return n, explainNoID("put", coll, recs, err)
}

// UpdateWhere merges changes into the matching records (see DB.UpdateWhere).
func (t *Tx) UpdateWhere(coll string, changes any, f Find) (int, error) {
	return t.runInt("update", coll, changes, f.options())
}

// Delete removes the matching records inside the transaction.
func (t *Tx) Delete(coll string, f Find) (int, error) {
	return t.runInt("delete", coll, f.options())
}

// Select returns the matching records as the transaction sees them.
func (t *Tx) Select(coll string, f Find) ([]json.RawMessage, error) {
	out, err := t.Exec([]any{"select", coll, f.options()})
	if err != nil {
		return nil, err
	}
	var recs []json.RawMessage
	if err := json.Unmarshal(out, &recs); err != nil {
		return nil, fmt.Errorf("fleetdb: decoding select result: %w", err)
	}
	return recs, nil
}

// Get returns the record with the given id as the transaction sees it, or
// nil and no error if there is none (GetInto returns ErrNotFound).
func (t *Tx) Get(coll string, id any) (json.RawMessage, error) {
	var buf [64]byte
	if enc, ok := query.AppendID(buf[:0], id); ok && coll != "" && !t.over {
		// A number or string id: look it up directly (see Snapshot.Get).
		if rec, found := query.Get(t.tx.View(), coll, string(enc)); found {
			return json.RawMessage(rec), nil
		}
		return nil, nil
	}
	recs, err := t.Select(coll, Find{Where: Eq("id", id)})
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	return recs[0], nil
}

func (t *Tx) runInt(parts ...any) (int, error) {
	out, err := t.Exec(parts)
	if err != nil {
		return 0, err
	}
	return decodeInt(out)
}
