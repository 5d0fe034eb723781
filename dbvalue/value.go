package dbvalue

import (
	"github.com/fleetdb-go/fleetdb/collection"
	"github.com/fleetdb-go/fleetdb/internal/btree"
)

// Value is an immutable database value.
type Value struct {
	colls collTree
	// Seq is the position in the log (or Raft index) that this value
	// reflects; 0 for a fresh database.
	Seq uint64
}

// Empty is the empty database value.
func Empty() *Value { return &Value{} }

// Collection returns the named collection; a missing one is the empty
// collection.
func (v *Value) Collection(name string) collection.Collection {
	c, _ := v.colls.get(name)
	return c
}

// Names returns the names of the non-empty collections, sorted.
func (v *Value) Names() []string {
	names := make([]string, 0, v.colls.len())
	v.colls.ascendAll(func(name string, _ collection.Collection) bool {
		names = append(names, name)
		return true
	})
	return names
}

// Len returns the number of collections.
func (v *Value) Len() int { return v.colls.len() }

// Each visits the collections in name order until fn returns false.
func (v *Value) Each(fn func(name string, c collection.Collection) bool) {
	v.colls.ascendAll(fn)
}

// Check runs every collection's consistency check.
func (v *Value) Check() error {
	if err := v.colls.check(); err != nil {
		return err
	}
	var err error
	v.colls.ascendAll(func(name string, c collection.Collection) bool {
		if c.IsEmpty() {
			err = errorf("empty collection %q is stored", name)
			return false
		}
		if e := c.Check(); e != nil {
			err = errorf("collection %q: %w", name, e)
			return false
		}
		return true
	})
	return err
}

// Txn derives a new value from a base value.
type Txn struct {
	edit  *btree.Edit
	colls collTree
	seq   uint64
	// owned are the Collections the tree points to that this transaction
	// allocated under its current edit token: SetCollection overwrites
	// them in place. Emptied whenever the token changes (a savepoint, a
	// kept state, the commit), since values then share them.
	owned    []*collection.Collection
	ownedArr [2]*collection.Collection // owned's first array: a write changes one collection, seldom more

	// For change feeds (steps.go): the record changes of the current
	// write, the collections it dropped, the steps so far.
	log       collection.Log
	dropped   []dropped
	steps     []Step
	stepColls []CollChanges // the steps' Colls, back to back (only appended to)
	// taken and takenColls are the arrays of the steps TakeSteps returned
	// last, which BeginStepsIn reuses.
	taken      []Step
	takenColls []CollChanges
	scratch    []collection.Change
	recording  bool
	keepStates bool
}

// Begin starts a transaction on v that records no changes (log replay,
// tests): Step must not be called on it.
func (v *Value) Begin() *Txn {
	t := &Txn{edit: btree.NewEdit(), colls: v.colls, seq: v.Seq}
	t.owned = t.ownedArr[:0]
	return t
}

// BeginSteps starts a transaction on v that records what each write
// changes, as a Step, for the change feeds (steps.go).
func (v *Value) BeginSteps() *Txn {
	t := v.Begin()
	t.recording = true
	return t
}

// BeginStepsIn is BeginSteps reusing t's storage (so a writer that begins
// one transaction per batch does not allocate it anew each time): the
// record changes of a write, and the arrays of the steps TakeSteps
// returned last, which must no longer be in use. t must have been
// committed or given up; nothing else of it is used again. A nil t is
// BeginSteps.
func (v *Value) BeginStepsIn(t *Txn) *Txn {
	if t == nil {
		return v.BeginSteps()
	}
	log, scratch := t.log, t.scratch
	log.Reset()
	clear(t.taken) // their values and changes may go
	clear(t.takenColls)
	*t = Txn{edit: btree.NewEdit(), colls: v.colls, seq: v.Seq, log: log, scratch: scratch[:0], recording: true,
		steps: t.taken[:0], stepColls: t.takenColls[:0]}
	t.owned = t.ownedArr[:0]
	return t
}

// Edit returns the token under which the transaction changes trees.
func (t *Txn) Edit() *btree.Edit { return t.edit }

// Collection returns the named collection as the transaction sees it.
func (t *Txn) Collection(name string) collection.Collection {
	c, _ := t.colls.get(name)
	return c
}

// SetCollection stores c under name; an empty collection is removed.
func (t *Txn) SetCollection(name string, c collection.Collection) {
	if c.IsEmpty() {
		t.colls.delete(t.edit, name)
		return
	}
	t.colls.set(t.edit, name, c, &t.owned)
}

// newEdit gives the transaction a new edit token (nil: none), so that the
// trees and Collections it holds now are not changed by later writes.
func (t *Txn) newEdit(e *btree.Edit) {
	t.edit = e
	clear(t.owned)
	t.owned = t.owned[:0]
}

// DropCollection removes the named collection; it reports whether it existed.
func (t *Txn) DropCollection(name string) bool {
	c, ok := t.colls.get(name)
	if !ok {
		return false
	}
	t.noteDrop(name, c)
	t.colls.delete(t.edit, name)
	return true
}

// Clear removes every collection and returns how many there were.
func (t *Txn) Clear() int {
	n := t.colls.len()
	t.noteClear()
	t.colls = collTree{}
	return n
}

// View returns the transaction's current state as a value for reading
// inside the transaction (multi-write, checked-write). It must not be
// published or kept after the next change.
func (t *Txn) View() *Value { return &Value{colls: t.colls, Seq: t.seq} }

// Savepoint is a state of a transaction that Rollback returns to.
type Savepoint struct {
	colls   collTree
	dropped int
	logged  int
}

// Savepoint records the current state. Later changes use a new edit token,
// so the recorded trees are not changed by them.
func (t *Txn) Savepoint() Savepoint {
	t.newEdit(btree.NewEdit())
	return Savepoint{colls: t.colls, dropped: len(t.dropped), logged: t.log.Len()}
}

// Rollback returns the transaction to a savepoint.
func (t *Txn) Rollback(sp Savepoint) {
	t.newEdit(btree.NewEdit())
	t.colls = sp.colls
	t.dropped = t.dropped[:sp.dropped]
	t.log.Truncate(sp.logged)
}

// SetSeq sets the log position the committed value will reflect.
func (t *Txn) SetSeq(seq uint64) { t.seq = seq }

// Commit returns the transaction's value and retires its edit token.
func (t *Txn) Commit() *Value {
	v := &Value{colls: t.colls, Seq: t.seq}
	t.newEdit(nil)
	t.colls = collTree{}
	return v
}

// Compact returns a value holding the same collections and position as v, each with its
// record map and indexes merged into their dense runs (collection.Collection.Compact). v is
// unchanged.
func (v *Value) Compact() *Value {
	var b collBuilder
	v.colls.ascendAll(func(name string, c collection.Collection) bool {
		b.add(name, c.Compact()) // in order: the names come from a tree
		return true
	})
	return &Value{colls: b.tree(), Seq: v.Seq}
}
