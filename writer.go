package fleetdb

import (
	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/query"
)

// writeReq is one write on its way through the write queue. The writer
// fills out and err; the caller reads them after Submit returns nil.
type writeReq struct {
	req     []byte      // the query's JSON, as the log records it
	q       query.Query // the parsed query
	compact bool        // a compaction request instead of a query
	// update is an Update transaction's function, run instead of q.
	update func(*query.Tx) error
	out    []byte
	err    error // the query's own outcome (refused); nil on success
}

// writer is the write queue's environment: it applies a batch of writes to
// one transaction over the published value, appends the successful ones to
// the log as one batch, and publishes the result with one atomic store. All
// its methods run on the queue's goroutine only, so its fields need no lock.
type writer struct {
	db  *DB
	txn *dbvalue.Txn // the batch's working state, nil between batches

	buf   []byte   // the batch's log records, back to back
	spans [][2]int // each record's place in buf
	recs  [][]byte // reused for Append

	// fx collects the changes of a write that runs user code (a call, an
	// Update transaction), which the log records instead of the request;
	// fxEnv is db.env with fx set.
	fx    query.Effects
	fxEnv query.Env
}

// Apply applies every write of the batch to one transaction. A refused
// write leaves the transaction as it was (query.Apply is all or nothing),
// so it does not disturb the others.
func (w *writer) Apply(batch []*writeReq) error {
	db := w.db
	if db.aof != nil {
		if err := db.aof.Err(); err != nil {
			return logFailed(err)
		}
	}
	// Compactions start before anything of this batch is applied: the
	// published value is then exactly what the log holds.
	for _, r := range batch {
		if r.compact {
			r.out = []byte("false")
			if db.startCompaction("requested") {
				r.out = []byte("true")
			}
		}
	}
	if cap(w.buf) > 1<<20 {
		w.buf = nil
	}
	w.buf, w.spans = w.buf[:0], w.spans[:0]
	w.txn = db.cur.Load().Begin()
	for _, r := range batch {
		if r.compact {
			continue
		}
		w.apply(r)
		if r.err == nil {
			// Every successful write takes the next position (the log
			// replay counts its records the same way: one per write);
			// the step keeps its changes for the feeds.
			w.txn.Step(w.txn.Seq() + 1)
		}
	}
	return nil
}

// Publish stores the batch's value for readers.
func (w *writer) Publish(batch []*writeReq) {
	v := w.txn.Commit()
	w.db.cur.Store(v)
	w.db.hub.publish(w.txn.TakeSteps(), v)
	w.txn = nil
	w.db.maybeAutoCompact()
}

// Abort drops the batch's working state.
func (w *writer) Abort(batch []*writeReq, err error) { w.txn = nil }

// apply applies one write of the batch and queues its log record. A write
// that runs user code is logged as the writes it made (query.Effects), so
// that the log replays without that code (docs/durability.md).
func (w *writer) apply(r *writeReq) {
	db := w.db
	if db.aof == nil {
		if r.update != nil {
			r.err = w.runUpdate(r, &db.env)
			return
		}
		r.out, r.err = query.Apply(nil, w.txn, r.q, &db.env)
		return
	}
	if r.update == nil && !query.UsesCommand(r.q) {
		r.out, r.err = query.Apply(nil, w.txn, r.q, &db.env)
		if r.err == nil {
			w.logWrite(r.req)
		}
		return
	}
	if w.fxEnv.Effects == nil {
		w.fxEnv = db.env
		w.fxEnv.Effects = &w.fx
	}
	w.fx.Reset()
	if r.update != nil {
		r.err = w.runUpdate(r, &w.fxEnv)
	} else {
		r.out, r.err = query.Apply(nil, w.txn, r.q, &w.fxEnv)
	}
	if r.err == nil {
		w.logRecord(func(dst []byte) []byte { return w.fx.AppendQuery(dst) })
	}
}
