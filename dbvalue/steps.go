package dbvalue

import (
	"slices"
	"strings"

	"github.com/fleetdb-go/fleetdb/collection"
	"github.com/fleetdb-go/fleetdb/index"
	"github.com/fleetdb-go/fleetdb/internal/btree"
)

// Step is one committed write (or Raft entry) of a transaction, for change
// feeds: what it changed, at the write's position.
//
// The changes are recorded as the write makes them (collection.Log), not
// found by comparing the database before and after: so the writes of a
// batch share one edit token (a record map leaf that three writes of a
// batch change is copied once, not three times) and publishing a batch
// walks no tree.
type Step struct {
	Seq   uint64        // the write's position
	Colls []CollChanges // the collections it changed, by name
	// After is the database after the write, kept only when the
	// transaction was asked to (KeepStates, for tests); nil otherwise.
	After *Value
}

// CollChanges is what one write did to one collection.
type CollChanges struct {
	Name string
	// DroppedColl, when the write dropped the collection (drop-collection,
	// clear) while it existed, is the collection as it was before the
	// write; nil otherwise (a pointer: most writes drop nothing, and every
	// write's records carry the field). See Dropped.
	DroppedColl *collection.Collection
	// Changes are the records that differ between before the write (after
	// the drop, if Dropped) and after it, in id order: inserted (Old ""),
	// deleted (New "") or replaced by different JSON. A record the write
	// changed several times appears once.
	Changes collection.Changes
}

// Dropped reports whether the write dropped the collection (DroppedColl).
func (cc CollChanges) Dropped() bool { return cc.DroppedColl != nil }

// dropped is a collection dropped by the current write.
type dropped struct {
	name string
	coll collection.Collection // as it was before the write
}

// Log returns the log that the collection methods record the changes of
// the collection name in (collection.Log.For). Every record change of a
// write must be recorded there for its Step to show it. It is nil (records
// nothing) unless the transaction began with BeginSteps.
func (t *Txn) Log(name string) *collection.Log {
	if !t.recording {
		return nil
	}
	return t.log.For(name)
}

// KeepStates makes every later Step record the value after it (Step.After)
// and start a new edit token, so that those values stay as they are. For
// tests that check the recorded changes against the states.
func (t *Txn) KeepStates() { t.keepStates = true }

// Step ends one write at position seq: the changes recorded since the
// previous Step (or Begin) become a Step, and the transaction's Seq
// becomes seq. A write that failed (and left the state as it was) is
// simply not followed by a Step.
func (t *Txn) Step(seq uint64) {
	if !t.recording {
		panic("dbvalue: Step on a transaction that does not record steps (Begin, not BeginSteps)")
	}
	s := Step{Seq: seq, Colls: t.stepChanges()}
	if t.keepStates {
		s.After = &Value{colls: t.colls, Seq: seq}
		t.newEdit(btree.NewEdit())
	}
	t.steps = append(t.steps, s)
	t.log.Reset()
	clear(t.dropped)
	t.dropped = t.dropped[:0]
	t.seq = seq
}

// Seq returns the position the transaction's value will reflect.
func (t *Txn) Seq() uint64 { return t.seq }

// TakeSteps returns the steps recorded so far and forgets them. They stay
// valid until t is begun again with BeginStepsIn, which reuses their
// arrays.
func (t *Txn) TakeSteps() []Step {
	s := t.steps
	t.taken, t.takenColls = t.steps, t.stepColls
	t.steps, t.stepColls = nil, nil
	return s
}

// noteDrop records that the collection name, whose value is c now, is
// dropped by the current write.
func (t *Txn) noteDrop(name string, c collection.Collection) {
	if !t.recording {
		return
	}
	t.log.Drop(name)
	for _, d := range t.dropped {
		if d.name == name {
			return // the first drop of the write saw the state before it
		}
	}
	t.dropped = append(t.dropped, dropped{name: t.ownName(name), coll: t.undoWrite(name, c)})
}

// noteClear records that every collection is dropped by the current write.
func (t *Txn) noteClear() {
	if !t.recording {
		return
	}
	t.colls.ascendAll(func(name string, c collection.Collection) bool {
		t.noteDrop(name, c)
		return true
	})
}

// undoWrite returns c (the collection name as the current write left it so
// far) without the current write's changes to it: the collection before
// the write. It changes nothing that c shares (a nil edit token copies).
func (t *Txn) undoWrite(name string, c collection.Collection) collection.Collection {
	es := t.log.Entries()
	for i := len(es) - 1; i >= 0; i-- {
		e := &es[i]
		if e.Coll != name || e.Drop {
			continue
		}
		if e.New != "" {
			c = c.Delete(nil, e.New, nil)
		}
		if e.Old != "" {
			c = c.Put(nil, e.Old, index.RecordOfID(e.Old), nil)
		}
	}
	return c
}

// ownName returns name as a string the transaction may keep: the stored
// key of the collection if it exists (names from requests are substrings
// of whole requests, which they would keep alive), a copy otherwise.
func (t *Txn) ownName(name string) string {
	if k, ok := t.colls.getKey(name); ok {
		return k
	}
	return strings.Clone(name)
}

// stepChanges turns the current write's log and drops into its changes,
// by collection name.
func (t *Txn) stepChanges() []CollChanges {
	es := t.log.Entries()
	if len(es) == 0 && len(t.dropped) == 0 {
		return nil
	}
	var namesArr [4]string // a write changes one collection, seldom more
	names := namesArr[:0]
	for i := range es {
		if !slices.Contains(names, es[i].Coll) {
			names = append(names, es[i].Coll)
		}
	}
	for _, d := range t.dropped {
		if !slices.Contains(names, d.name) {
			names = append(names, d.name)
		}
	}
	slices.Sort(names)
	// The steps of a batch share arrays: a write's changes are appended
	// after the previous write's, which it never touches, and a full array
	// is left to the steps cut from it rather than copied. The arrays grow
	// from what the first write needs to 16, so that a transaction of one
	// write (most of them) allocates one CollChanges, not 16 (2.5 KB).
	if len(t.stepColls)+len(names) > cap(t.stepColls) {
		t.stepColls = make([]CollChanges, 0, max(min(2*cap(t.stepColls), 16), len(names)))
	}
	start := len(t.stepColls)
	for _, name := range names {
		cc := CollChanges{Name: t.ownName(name)}
		for _, d := range t.dropped {
			if d.name == name {
				cc.DroppedColl = &d.coll
			}
		}
		cc.Changes = netChanges(es, name, &t.scratch)
		if cc.Dropped() || cc.Changes.Len() > 0 {
			t.stepColls = append(t.stepColls, cc)
		}
	}
	if len(t.stepColls) == start {
		return nil
	}
	return t.stepColls[start:len(t.stepColls):len(t.stepColls)]
}

// netChanges returns the net record changes of the collection name in es
// after its last drop, in id order, in storage of their own (the change
// feeds' history keeps them). scratch is reused between calls.
func netChanges(es []collection.Logged, name string, scratch *[]collection.Change) collection.Changes {
	chs := (*scratch)[:0]
	for i := range es {
		switch e := &es[i]; {
		case e.Coll != name:
		case e.Drop:
			chs = chs[:0]
		default:
			chs = append(chs, e.Change)
		}
	}
	// Usually each record changed once, in id order (a batch insert logs
	// its ids sorted); otherwise sort by id, keeping the order of the
	// changes of one record, and merge them: first old, last new.
	sorted := true
	for i := 1; i < len(chs) && sorted; i++ {
		sorted = chs[i-1].ID() < chs[i].ID()
	}
	if !sorted {
		slices.SortStableFunc(chs, func(a, b collection.Change) int { return strings.Compare(a.ID(), b.ID()) })
		j := 0
		for i := 0; i < len(chs); j++ {
			c := chs[i]
			for i++; i < len(chs) && chs[i].ID() == c.ID(); i++ {
				c.New = chs[i].New
			}
			chs[j] = c
		}
		chs = chs[:j]
	}
	j := 0
	for _, c := range chs {
		if c.Old == "" && c.New == "" || c.Old != "" && c.New != "" && index.RecordOfID(c.Old) == index.RecordOfID(c.New) {
			continue // inserted and deleted again, or back as it was
		}
		chs[j] = c
		j++
	}
	chs = chs[:j]
	*scratch = chs
	out := collection.MakeChanges(chs)
	clear(chs)
	return out
}
