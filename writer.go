package fleetdb

import (
	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/query"
)

// writeReq is one write on its way through the write queue. The writer
// fills out and err; the caller reads them after Submit returns nil.
type writeReq struct {
	req []byte      // the query's JSON, as the log records it
	q   query.Query // the parsed query
	out []byte
	err error // the query's own outcome (refused); nil on success
}

// writer is the write queue's environment: it applies a batch of writes to
// one transaction over the published value, persists the batch and
// publishes the result with one atomic store. All its methods run on the
// queue's goroutine only, so its fields need no lock.
type writer struct {
	db  *DB
	txn *dbvalue.Txn // the batch's working state, nil between batches
}

// Apply applies every write of the batch to one transaction. A refused
// write leaves the transaction as it was (query.Apply is all or nothing),
// so it does not disturb the others.
func (w *writer) Apply(batch []*writeReq) error {
	w.txn = w.db.cur.Load().Begin()
	for _, r := range batch {
		r.out, r.err = query.Apply(nil, w.txn, r.q, &w.db.env)
	}
	return nil
}

// Persist makes the batch durable. The ephemeral database has nothing to do.
func (w *writer) Persist(batch []*writeReq) error { return nil }

// Publish stores the batch's value for readers.
func (w *writer) Publish(batch []*writeReq) {
	w.db.cur.Store(w.txn.Commit())
	w.txn = nil
}

// Abort drops the batch's working state.
func (w *writer) Abort(batch []*writeReq, err error) { w.txn = nil }
