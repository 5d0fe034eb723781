package dbvalue

import (
	"github.com/fleetdb-go/fleetdb/collection"
	"github.com/fleetdb-go/fleetdb/internal/btree"
)

// Step is one committed write (or Raft entry) of a transaction, for change
// feeds: the database before and after it, at the write's position.
// Before and After are frozen values (nothing changes their trees); they
// carry no steps of their own.
type Step struct {
	Seq           uint64 // the write's position
	Before, After *Value
	// Dropped names the collections that the write dropped
	// (drop-collection, clear) and that existed when it did, in order.
	Dropped []string
}

// Step ends one write at position seq: the state since the previous Step
// (or Begin) is recorded as a Step, the transaction's Seq becomes seq, and
// later changes use a new edit token so that the recorded states stay as
// they are. A write that failed (and left the state as it was) is simply
// not followed by a Step.
func (t *Txn) Step(seq uint64) {
	before := t.stepBase
	if before == nil {
		before = &Value{colls: t.base, Seq: t.seq}
	}
	after := &Value{colls: t.colls, Seq: seq}
	t.steps = append(t.steps, Step{Seq: seq, Before: before, After: after, Dropped: t.dropped})
	t.dropped = nil
	t.seq = seq
	t.stepBase = after
	t.edit = btree.NewEdit()
}

// Seq returns the position the transaction's value will reflect.
func (t *Txn) Seq() uint64 { return t.seq }

// TakeSteps returns the steps recorded so far and forgets them.
func (t *Txn) TakeSteps() []Step {
	s := t.steps
	t.steps = nil
	return s
}

// noteDrop records that the collection name was dropped by the current
// write.
func (t *Txn) noteDrop(name string) { t.dropped = append(t.dropped, name) }

// noteClear records that every collection was dropped by the current write.
func (t *Txn) noteClear() {
	t.colls.AscendAll(func(name string, _ collection.Collection) bool {
		t.noteDrop(name)
		return true
	})
}

// DiffCollections calls fn, in name order, for every collection whose
// records differ between a and b (a missing collection is empty). Index
// changes alone are not reported. fn returning false stops.
func DiffCollections(a, b *Value, fn func(name string, old, new collection.Collection) bool) {
	same := func(_ string, x collection.Collection, _ string, y collection.Collection) bool {
		return collection.SameRecords(x, y)
	}
	btree.Diff(a.colls, b.colls, same, func(oldName string, old collection.Collection, hasOld bool, newName string, new collection.Collection, _ bool) bool {
		name := newName
		if hasOld {
			name = oldName
		}
		if collection.SameRecords(old, new) {
			return true
		}
		return fn(name, old, new)
	})
}
