package fleetdb

import (
	"context"
	"sync"
	"time"

	"github.com/fleetdb-go/fleetdb/collection"
	"github.com/fleetdb-go/fleetdb/dbvalue"
)

// Defragmentation of the in-memory value (doc.go of internal/btree, "Sets"). The record maps
// and indexes are btree.Sets: a dense run plus a delta, a small copy-on-write B+tree of the
// changes since the run was built, whose node copies die among live nodes in the same pages
// of the heap (Go's collector never moves objects). Once the writer has been idle for a while
// after enough writes, a background goroutine merges every delta into a new run
// (btree.Set.Compact), and the writer installs the copy if nothing was written meanwhile.
// The deltas' nodes then die together, and lookups search the runs alone. The copy holds the
// same records and keys (the record blocks are shared, not copied), so readers, feeds and the
// log see no change.

const (
	// defragIdle is how long the writer must have been idle before a defragmentation.
	defragIdle = time.Second
	// defragMinWrites is the fewest records changed since the last defragmentation that
	// start one, and defragShare the least share of all records they must make up. A copy
	// costs a memmove of 16 bytes per key of every set and a search per key of each delta, far
	// less than the writes that made the deltas; a delta never exceeds a sixteenth of its
	// run (btree.Set), so the defragmentation is worth the wait only for the lookups.
	defragMinWrites = 1000
	defragShare     = 0.5
)

// defragger schedules defragmentations. Its timer runs on its own goroutine.
type defragger struct {
	mu      sync.Mutex
	writes  int64     // records changed since the last defragmentation
	last    time.Time // when the last batch was published
	timer   *time.Timer
	running bool          // a copy is being made
	stopped bool          // Close began
	idle    time.Duration // Options.DefragIdle: 0 means defragIdle, negative never
	done    int64         // defragmentations installed (tests, metrics)
}

// defragReq asks the writer to install after, a compacted copy of before, if before is still
// the published value.
type defragReq struct {
	before, after *dbvalue.Value
}

// changedRecords returns how many records the steps changed (a dropped collection counts as
// one).
func changedRecords(steps []dbvalue.Step) int {
	n := 0
	for _, s := range steps {
		for _, c := range s.Colls {
			n += c.Changes.Len()
			if c.Dropped() {
				n++
			}
		}
	}
	return n
}

// noteWrites counts n records changed by a published batch and arms the timer. Called by the
// writer after it publishes a batch.
func (db *DB) noteWrites(n int) {
	d := &db.defrag
	if n == 0 || db.opts.Cluster != nil || d.idle < 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.writes += int64(n)
	d.last = time.Now()
	if d.timer == nil && !d.running && !d.stopped && d.writes >= defragMinWrites {
		d.timer = time.AfterFunc(d.idleTime(), db.defragTick)
	}
}

func (d *defragger) idleTime() time.Duration {
	if d.idle > 0 {
		return d.idle
	}
	return defragIdle
}

// defragTick runs when the timer fires: it waits more if a write came meanwhile, and
// otherwise makes the copy on a goroutine the DB owns.
func (db *DB) defragTick() {
	d := &db.defrag
	d.mu.Lock()
	d.timer = nil
	if d.stopped || d.running {
		d.mu.Unlock()
		return
	}
	if wait := d.idleTime() - time.Since(d.last); wait > 0 {
		d.timer = time.AfterFunc(wait, db.defragTick)
		d.mu.Unlock()
		return
	}
	v := db.cur.Load()
	if float64(d.writes) < defragShare*float64(recordsOf(v)) {
		d.mu.Unlock()
		return // few writes for its size: the next ones arm the timer again
	}
	d.running = true
	db.bg.Add(1)
	d.mu.Unlock()
	go db.runDefrag(v)
}

// runDefrag copies v and hands the copy to the writer.
func (db *DB) runDefrag(v *dbvalue.Value) {
	defer db.bg.Done()
	w := &writeReq{defrag: &defragReq{before: v, after: v.Compact()}}
	err := db.queue.Submit(db.bgCtx, w)
	d := &db.defrag
	d.mu.Lock()
	defer d.mu.Unlock()
	d.running = false
	if err == nil && string(w.out) == "true" {
		d.writes = 0
		d.done++
		return
	}
	if err == nil && d.writes >= defragMinWrites && d.timer == nil && !d.stopped {
		d.timer = time.AfterFunc(d.idleTime(), db.defragTick) // written meanwhile: later
	}
}

// installDefrag makes r.after the published value if r.before still is. It runs on the
// writer's goroutine before a batch is applied.
func (db *DB) installDefrag(r *defragReq) bool {
	if db.cur.Load() != r.before {
		return false
	}
	db.cur.Store(r.after)
	db.hub.publish(nil, r.after)
	return true
}

// stopDefrag stops the timer for good; a copy being made ends with the DB's background work.
func (db *DB) stopDefrag() {
	d := &db.defrag
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopped = true
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
}

// recordsOf returns the records of every collection of v.
func recordsOf(v *dbvalue.Value) int {
	n := 0
	v.Each(func(_ string, c collection.Collection) bool {
		n += c.Len()
		return true
	})
	return n
}

// defragNow copies the published value and installs the copy now (tests and benchmarks); it
// reports whether the copy was installed (false if a write came first).
func (db *DB) defragNow() (bool, error) {
	v := db.cur.Load()
	w := &writeReq{defrag: &defragReq{before: v, after: v.Compact()}}
	if err := db.submit(context.Background(), w); err != nil {
		return false, err
	}
	return string(w.out) == "true", nil
}
