package fleetdb

import (
	"context"
	"errors"

	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/query"
	"github.com/fleetdb-go/fleetdb/writequeue"
)

// writeReq is one write on its way through the write queue. The writer
// fills out and err; the caller reads them after Submit returns nil.
type writeReq struct {
	req     []byte      // the query's JSON, as the log records it
	q       query.Query // the parsed query
	compact bool        // a compaction request instead of a query
	defrag  *defragReq  // a defragmentation to install instead of a query
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
	// last is the last batch's transaction, whose storage the next one
	// reuses (dbvalue.Value.BeginStepsIn).
	last *dbvalue.Txn

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
	for _, r := range batch {
		if r.defrag != nil {
			r.out = []byte("false")
			if db.installDefrag(r.defrag) {
				r.out = []byte("true")
			}
		}
	}
	if cap(w.buf) > 1<<20 {
		w.buf = nil
	}
	w.buf, w.spans = w.buf[:0], w.spans[:0]
	w.txn, w.last = db.cur.Load().BeginStepsIn(w.last), nil
	if db.opts.keepStates {
		w.txn.KeepStates()
	}
	for _, r := range batch {
		if r.compact || r.defrag != nil {
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
	steps := w.txn.TakeSteps()
	w.db.hub.publish(steps, v)
	w.txn, w.last = nil, w.txn
	w.db.maybeAutoCompact()
	w.db.noteWrites(changedRecords(steps))
}

// Abort drops the batch's working state.
func (w *writer) Abort(batch []*writeReq, err error) { w.txn, w.last = nil, w.txn }

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

// answer calls done with what Query returns for w once its batch ended
// with err (nil: w was applied, persisted and published).
func (w *writeReq) answer(done func([]byte, error), err error) {
	if err != nil {
		done(nil, submitError(err))
		return
	}
	done(w.out, w.err)
}

// QueryBatch gathers the writes of one event loop's turn so that they are
// committed together (server.BatchExecutor; the type is an alias, so the
// method set is all that server and DB share). Add takes a write as
// StartQuery does; Commit starts all the writes added since the last
// Commit. One goroutine uses a batch at a time.
type QueryBatch = interface {
	Add(ctx context.Context, req []byte, done func(out []byte, err error)) bool
	Commit()
}

// NewQueryBatch returns an empty batch of writes for one event loop. It
// implements server.BatchExecutor.
func (db *DB) NewQueryBatch() QueryBatch {
	if db.repl != nil {
		return &clusterBatch{db: db} // cluster_batch.go
	}
	return &writeBatch{db: db}
}

// writeBatch is DB's QueryBatch. When the single writer is idle, Commit
// applies, persists and publishes the batch on the caller's goroutine
// (writequeue.TryCommit) and calls every done before it returns: no
// goroutine is woken, and the requests are reused. Otherwise each write is
// queued for the writer as by StartQuery.
type writeBatch struct {
	db    *DB
	reqs  []*writeReq // added since the last Commit
	ctxs  []context.Context
	dones []func([]byte, error)
	free  []*writeReq // answered inline, ready for reuse
}

// Add takes req, a write of a standalone database, and reports true: done
// will be called once, by Commit on the caller's goroutine or later from
// the writer's, with what Query would return. It reports false, having
// done nothing, for anything StartQuery declines. req must stay valid until
// done is called.
func (b *writeBatch) Add(ctx context.Context, req []byte, done func(out []byte, err error)) bool {
	q, ok := b.db.asyncWrite(req)
	if !ok || ctx.Err() != nil {
		return false
	}
	var w *writeReq
	if n := len(b.free); n > 0 {
		w, b.free = b.free[n-1], b.free[:n-1]
	} else {
		w = new(writeReq)
	}
	*w = writeReq{req: req, q: q}
	b.reqs = append(b.reqs, w)
	b.ctxs = append(b.ctxs, ctx)
	b.dones = append(b.dones, done)
	return true
}

// Commit starts the writes added since the last Commit, in batches of at
// most MaxBatch: each inline if the writer is idle, else queued for it.
func (b *writeBatch) Commit() {
	queue := b.db.queue
	for start := 0; start < len(b.reqs); {
		end := min(len(b.reqs), start+queue.MaxBatch())
		chunk := b.reqs[start:end]
		if err, ok := queue.TryCommit(chunk); ok {
			for i, w := range chunk {
				w.answer(b.dones[start+i], err)
				*w = writeReq{}
				b.free = append(b.free, w)
			}
		} else {
			for i, w := range chunk {
				b.submit(b.ctxs[start+i], w, b.dones[start+i])
			}
		}
		start = end
	}
	clear(b.reqs)
	clear(b.ctxs)
	clear(b.dones)
	b.reqs, b.ctxs, b.dones = b.reqs[:0], b.ctxs[:0], b.dones[:0]
}

// submit queues w for the writer and has done called once it is
// committed; a full queue is waited for on a goroutine, as Query would.
func (b *writeBatch) submit(ctx context.Context, w *writeReq, done func([]byte, error)) {
	queue := b.db.queue
	err := queue.SubmitAsync(ctx, w, func(err error) { w.answer(done, err) })
	if errors.Is(err, writequeue.ErrFull) {
		go func() { w.answer(done, queue.Submit(ctx, w)) }()
		return
	}
	if err != nil {
		w.answer(done, err)
	}
}
