package collection

import (
	"math"
	"unsafe"
)

// Change is one record's change as the record-map keys of its old and new
// versions ("" for none). A key is the record's encoded id inside its
// record block, so index.RecordOfID(key) is its JSON, and the old and new keys
// of one record hold the same bytes.
type Change struct{ Old, New string }

// ID returns the record's encoded id.
func (c Change) ID() string {
	if c.Old != "" {
		return c.Old
	}
	return c.New
}

// Logged is one entry of a Log: a record change in collection Coll, or
// (Drop) the collection's being dropped.
type Logged struct {
	Coll string
	Change
	Drop bool
}

// Log collects the record changes that writes make, in the order they are
// made, so that change feeds learn what a write changed without comparing
// the database before and after it (dbvalue.Txn keeps one per
// transaction). The collection methods that change records take a *Log and
// record every record they insert, replace or delete in it; a nil *Log
// records nothing. For names the collection being changed: callers change
// one collection at a time.
type Log struct {
	coll    string
	entries []Logged
}

// For makes the changes recorded next belong to the collection name, and
// returns l.
func (l *Log) For(name string) *Log {
	if l != nil {
		l.coll = name
	}
	return l
}

func (l *Log) add(old, new string) {
	if l != nil {
		l.entries = append(l.entries, Logged{Coll: l.coll, Change: Change{Old: old, New: new}})
	}
}

// Drop records that the collection name was dropped.
func (l *Log) Drop(name string) { l.entries = append(l.entries, Logged{Coll: name, Drop: true}) }

// Entries returns the entries so far, oldest first. The slice is valid
// until the next change to l.
func (l *Log) Entries() []Logged { return l.entries }

// Len returns the number of entries.
func (l *Log) Len() int { return len(l.entries) }

// Truncate forgets the entries from n on (a rollback to when there were
// n).
func (l *Log) Truncate(n int) {
	clear(l.entries[n:])
	l.entries = l.entries[:n]
}

// Reset forgets every entry, keeping the storage unless it grew large.
func (l *Log) Reset() {
	if cap(l.entries) > 4096 {
		l.entries = nil
		return
	}
	l.Truncate(0)
}

// Changes is a list of record changes in id order, held compactly for the
// change feeds' history, which keeps it for as long as it keeps the write:
// when every change is an insert of a key shorter than 256 bytes (a load),
// each new key's address and length alone, 9 bytes a change instead of 32
// (a string header each took 16: the history of a 200,000-record load cost
// 16 B per record of the in-process comparison's 312); a single insert (most
// writes a server takes) in the value itself, without an allocation. The
// value is 24 bytes (the other forms behind a pointer): every write's
// change-feed records carry one, 88 bytes until the ninth round.
type Changes struct {
	many *manyChanges // nil: none or one change
	one  string       // when many is nil: the one change inserted this key ("": none)
}

// manyChanges holds two or more changes: all of them, or, when all is nil,
// inserts only, change i having inserted the key of insLens[i] bytes at
// insPtrs[i].
type manyChanges struct {
	all     []Change
	insPtrs []unsafe.Pointer
	insLens []uint8
}

// MakeChanges returns chs as Changes, in storage of its own, exactly sized.
func MakeChanges(chs []Change) Changes {
	if len(chs) == 0 {
		return Changes{}
	}
	whole := func() Changes { return Changes{many: &manyChanges{all: append([]Change(nil), chs...)}} }
	if len(chs) == 1 {
		if chs[0].Old != "" {
			return whole()
		}
		return Changes{one: chs[0].New} // a stored key is never empty
	}
	for _, c := range chs {
		if c.Old != "" || len(c.New) > math.MaxUint8 {
			return whole()
		}
	}
	m := &manyChanges{insPtrs: make([]unsafe.Pointer, len(chs)), insLens: make([]uint8, len(chs))}
	for i, ch := range chs {
		m.insPtrs[i], m.insLens[i] = unsafe.Pointer(unsafe.StringData(ch.New)), uint8(len(ch.New))
	}
	return Changes{many: m}
}

// Len returns the number of changes.
func (c Changes) Len() int {
	switch {
	case c.many == nil && c.one != "":
		return 1
	case c.many == nil:
		return 0
	case c.many.all != nil:
		return len(c.many.all)
	}
	return len(c.many.insPtrs)
}

// At returns the i-th change.
func (c Changes) At(i int) Change {
	switch m := c.many; {
	case m == nil && i == 0 && c.one != "":
		return Change{New: c.one}
	case m == nil:
	case m.all != nil:
		return m.all[i]
	default:
		return Change{New: unsafe.String((*byte)(m.insPtrs[i]), int(m.insLens[i]))}
	}
	panic("collection: Changes.At index out of range")
}

// All returns the changes as a new slice.
func (c Changes) All() []Change {
	out := make([]Change, c.Len())
	for i := range out {
		out[i] = c.At(i)
	}
	return out
}
