package fleetdb

import (
	"fmt"
	"sync/atomic"

	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/query"
)

// replayBatch is how many parsed writes the reader hands the applier at a
// time: enough to make the hand-off cost nothing per write, few enough
// that the writes in flight (replayDepth batches) hold no memory to speak
// of next to the database.
const (
	replayBatch = 256
	replayDepth = 4
)

// replayer applies a log's writes in order on a goroutine of its own while
// the goroutine reading the log parses the next ones: parsing (scanning the
// JSON, compacting each record) and applying (the tree inserts) take about
// the same time, so on two cores they overlap.
//
// The reader calls write and reset in log order and finish once at the
// end (also after a failure: finish joins the applier). The applier owns
// the transaction until finish returns it. After the first write that
// fails to apply, the applier skips the rest and write reports the error,
// so reading stops soon after.
type replayer struct {
	env *query.Env

	batch []replayItem      // being filled by the reader
	work  chan []replayItem // to the applier, in order
	free  chan []replayItem // emptied batches, back to the reader
	done  chan struct{}     // closed when the applier has returned

	// Written by the applier before it sets failed (or before done is
	// closed); read by the reader after seeing failed (or done).
	err    error
	failed atomic.Bool
	txn    *dbvalue.Txn
	writes int
}

// replayItem is one logged write (record n of the log), or, with base set,
// a snapshot that the following writes start from.
type replayItem struct {
	n    int
	q    query.Query
	base *dbvalue.Value
}

// newReplayer starts the applier on a transaction over base.
func newReplayer(base *dbvalue.Value, env *query.Env) *replayer {
	r := &replayer{
		env:   env,
		work:  make(chan []replayItem, replayDepth),
		free:  make(chan []replayItem, replayDepth+1),
		done:  make(chan struct{}),
		txn:   base.Begin(),
		batch: make([]replayItem, 0, replayBatch),
	}
	go r.apply()
	return r
}

// write queues the parsed write of log record n. It returns the error of
// an earlier write that failed to apply, if any.
func (r *replayer) write(n int, q query.Query) error {
	r.push(replayItem{n: n, q: q})
	if r.failed.Load() {
		return r.err
	}
	return nil
}

// reset makes the following writes apply to a transaction over v (the
// value of a snapshot the log holds).
func (r *replayer) reset(v *dbvalue.Value) { r.push(replayItem{base: v}) }

func (r *replayer) push(it replayItem) {
	r.batch = append(r.batch, it)
	if len(r.batch) == replayBatch {
		r.flush()
	}
}

func (r *replayer) flush() {
	if len(r.batch) == 0 {
		return
	}
	r.work <- r.batch
	select {
	case b := <-r.free:
		r.batch = b[:0]
	default:
		r.batch = make([]replayItem, 0, replayBatch)
	}
}

// finish hands over the last writes, waits for the applier and returns
// the transaction, the number of writes applied, and the first error.
func (r *replayer) finish() (*dbvalue.Txn, int, error) {
	r.flush()
	close(r.work)
	<-r.done
	return r.txn, r.writes, r.err
}

// apply runs on the applier's goroutine until work is closed.
func (r *replayer) apply() {
	defer close(r.done)
	for batch := range r.work {
		for i := range batch {
			it := &batch[i]
			switch {
			case r.err != nil:
			case it.base != nil:
				r.txn = it.base.Begin()
			default:
				if _, err := query.Apply(nil, r.txn, it.q, r.env); err != nil {
					r.err = fmt.Errorf("fleetdb: log record %d (%s) no longer applies: %w", it.n, it.q.Name(), err)
					r.failed.Store(true)
				} else {
					r.writes++
					r.txn.SetSeq(r.txn.Seq() + 1) // positions count the writes (writer.go)
				}
			}
			*it = replayItem{} // let the parsed write go
		}
		select {
		case r.free <- batch:
		default:
		}
	}
}
