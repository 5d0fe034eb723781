package fleetdb

import (
	"testing"
	"unsafe"

	"github.com/fleetdb-go/fleetdb/collection"
	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/index"
)

// TestEntriesOfBatch: appendEntries makes one entry per write and changed
// collection, in order, a drop's entry before the same write's changes; the
// change entries of the batch share one allocation and a drop's entry is
// allocated apart (it keeps a whole collection alive, so it must be free
// to go alone once trimmed).
func TestEntriesOfBatch(t *testing.T) {
	// Stored keys come from record blocks (appendEntries reads the record
	// before each key: index.RecordOf).
	ins := func(key string) collection.Changes {
		_, id := index.NewBlock(`{"k":1}`, key, nil, nil, nil)
		return collection.MakeChanges([]collection.Change{{New: id}})
	}
	var dropped collection.Collection
	steps := []dbvalue.Step{
		{Seq: 1, Colls: []dbvalue.CollChanges{{Name: "a", Changes: ins("k1")}}},
		{Seq: 2, Colls: []dbvalue.CollChanges{{Name: "a", DroppedColl: &dropped}, {Name: "b", Changes: ins("k2")}}},
		{Seq: 3, Colls: []dbvalue.CollChanges{{Name: "a", DroppedColl: &dropped, Changes: ins("k3")}}},
	}
	es := appendEntries(nil, steps)
	type want struct {
		pos  uint64
		coll string
		drop bool
		key  string
	}
	wants := []want{{1, "a", false, "k1"}, {2, "a", true, ""}, {2, "b", false, "k2"}, {3, "a", true, ""}, {3, "a", false, "k3"}}
	if len(es) != len(wants) {
		t.Fatalf("%d entries, want %d", len(es), len(wants))
	}
	var changes []*entry
	for i, w := range wants {
		e := es[i]
		if e.pos != w.pos || e.coll != w.coll || e.isDrop() != w.drop {
			t.Fatalf("entry %d: position %d, %q, drop %v; want %+v", i, e.pos, e.coll, e.isDrop(), w)
		}
		if w.drop {
			continue
		}
		if e.changes.Len() != 1 || e.changes.At(0).New != w.key || e.size <= entryOverhead {
			t.Fatalf("entry %d: %d changes, size %d; want the insert of %s counted", i, e.changes.Len(), e.size, w.key)
		}
		changes = append(changes, e)
	}
	// The change entries are consecutive elements of one array; the drops
	// lie outside it.
	addr := func(e *entry) uintptr { return uintptr(unsafe.Pointer(e)) }
	size := unsafe.Sizeof(*changes[0])
	first, end := addr(changes[0]), addr(changes[len(changes)-1])+size
	for i := 1; i < len(changes); i++ {
		if addr(changes[i]) != addr(changes[i-1])+size {
			t.Fatalf("change entries %d and %d do not share one allocation", i-1, i)
		}
	}
	for _, e := range es {
		if e.isDrop() && addr(e) >= first && addr(e) < end {
			t.Fatal("a drop's entry shares the changes' storage")
		}
	}
	// Allocations: the changes' array and each drop's entry, and the
	// list only if it has no room (the history has, mostly).
	if n := testing.AllocsPerRun(100, func() { appendEntries(nil, steps) }); n != 4 {
		t.Fatalf("appendEntries allocated %v times, want 4 (one array for the 3 change entries, the list, 2 drops)", n)
	}
	room := make([]*entry, 1, 16)
	if n := testing.AllocsPerRun(100, func() { appendEntries(room, steps) }); n != 3 {
		t.Fatalf("appendEntries into a list with room allocated %v times, want 3", n)
	}
	if got := appendEntries(room, nil); len(got) != 1 || &got[0] != &room[0] {
		t.Fatal("entries for no steps")
	}
}
