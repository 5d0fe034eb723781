package btree

import "unsafe"

// A borrowing Set stores its runs' slots in memory that the
// collector does not scan: its runs do not keep their keys alive. The
// database's indexes are such sets: each of their keys lies in its record's
// block, which the collection's record map (an ordinary Set) holds, in
// every value of the collection that holds the index (package collection).
// A key the delta holds, live or deleted, is in a node, which the
// collector scans as usual; only runs borrow.
//
// Why: a run's slot is a word and a pointer, and the collector scans every
// run at every cycle, following each pointer to mark the block it points
// into. An index's pointers lead to blocks that the record map's pointers
// mark anyway, so, with three indexes, three of every four pointers of a
// collection's runs are work for nothing. (docs/performance-history.md:
// the twelfth round.)
//
// A run's array is then allocated as words (noscanSlot) and used as slots.
// Writing a pointer into it is safe: the write barrier only shades the
// pointer, and a bulk copy into memory of a type without pointers does
// nothing more (runtime.bulkBarrierPreWrite). Go's collector does not move
// objects, so an address stays valid while something else keeps its object
// alive. A key of longKey bytes or more is held by a string header of its
// own (runSlot), which only the slot refers to: a borrowed run keeps those
// headers in its longs.

// A borrowing Set is made by a SetBuilder with Borrowed set; every Set
// derived from it borrows too. Its user must keep every key's memory alive,
// by other references the collector sees, for as long as a reachable Set
// derived from it may hold the key in a run.

// noscanSlot has a slot's size and alignment and no pointer.
type noscanSlot struct{ w, p uint64 }

// newSlots returns n zero slots, in memory the collector does not scan if
// borrowed. The memory must be zeroed even though every slot is written
// before it is read: a slot's store goes through the write barrier, which
// hands the collector the pointer it overwrites, and garbage there is a
// "bad pointer in Go heap" (tried: a strings.Builder's unzeroed buffer,
// to save the 3 % of a load that clearing the arrays costs).
func newSlots(n int, borrowed bool) []slot {
	if !borrowed || n == 0 {
		return make([]slot, n)
	}
	words := make([]noscanSlot, n)
	return unsafe.Slice((*slot)(unsafe.Pointer(&words[0])), n)
}

// keepLongs records in r.longs the string headers of r's long keys.
func (r *run) keepLongs() {
	for _, s := range r.slots {
		if s.w&lenMask == longKey {
			r.longs = append(r.longs, s.p)
		}
	}
}

// shadowed is a list of a borrowed part's run keys that its delta holds as
// other strings (a record written again stores its index key anew, in its
// new block): the run still points at the old string, which its record map
// may no longer hold, and a search of the run may read it until the next
// merge drops the slot.
type shadowed struct {
	key  string
	next *shadowed
	n    int // the list's length from here
}

// keepRunKey keeps run key i of a borrowed part alive until the next merge
// (shadowed); s is about to store that key anew in its delta. A key
// written again and again adds an entry each time while the delta does
// not grow, so settle also merges once the list is as long as the delta
// may be (shadowLen).
func (s *part) keepRunKey(i int) {
	if s.borrowed {
		s.shadow = &shadowed{key: s.run.key(i), next: s.shadow, n: s.shadowLen() + 1}
	}
}

// shadowLen returns the length of s's shadow list.
func (s *part) shadowLen() int {
	if s.shadow == nil {
		return 0
	}
	return s.shadow.n
}
