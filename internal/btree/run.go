package btree

import (
	"fmt"
	"unsafe"
)

// run is the dense part of a Set: its keys in ascending order, as the two
// words of a node slot each (slot.go), in two arrays of exactly the keys'
// length. A run is never modified once built: a Set's writes go to its
// delta tree, and a merge builds a new run. Each array is one allocation,
// so a run has no per-node header, no free slots and, when it dies, leaves
// no holes among live objects: its pages go back to the heap whole.
type run struct {
	slots []slot
	fence []uint64 // fence[b] = slots[b*fenceEvery].w: see find
}

// slot is one key of a run: its word and the slot pointer, side by side,
// so that the search's last step and the key it finds share a cache line.
type slot struct {
	w uint64
	p unsafe.Pointer
}

// fenceEvery is the stride of a run's fence. A lookup searches the fence
// (a sixteenth of the words, so its upper levels stay in the cache), then
// the fenceEvery words of one block (two cache lines), where a binary
// search over all words would touch a new cache line at each of its last
// dozen steps.
const fenceEvery = 16

// newRun returns the run of the given slots, with its fence.
func newRun(slots []slot) *run {
	r := &run{slots: slots, fence: make([]uint64, (len(slots)+fenceEvery-1)/fenceEvery)}
	for b := range r.fence {
		r.fence[b] = slots[b*fenceEvery].w
	}
	return r
}

// len returns the number of keys; a nil run has none.
func (r *run) len() int {
	if r == nil {
		return 0
	}
	return len(r.slots)
}

// key returns key i.
func (r *run) key(i int) string { return slotKey(r.slots[i].w, r.slots[i].p) }

// less reports whether key i is below key (p = word(key)).
func (r *run) less(i int, key string, p uint64) bool {
	if q := r.slots[i].w; decided(q, p) {
		return q < p
	}
	return r.key(i) < key
}

// lowerBound returns the smallest i in [lo, hi) whose key is >= key, or hi.
func (r *run) lowerBound(lo, hi int, key string, p uint64) int {
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if r.less(h, key, p) {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return lo
}

// upperBound returns the smallest i in [lo, hi) whose key is > key, or hi.
func (r *run) upperBound(lo, hi int, key string, p uint64) int {
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if r.above(h, key, p) {
			hi = h
		} else {
			lo = h + 1
		}
	}
	return lo
}

// above reports whether key i is above key.
func (r *run) above(i int, key string, p uint64) bool {
	if q := r.slots[i].w; decided(q, p) {
		return q > p
	}
	return r.key(i) > key
}

// seek returns lowerBound(i, len, key) for a key expected near i: it gallops
// forward from i, so that visiting sorted keys costs the log of the gaps
// between them rather than of the run's length.
func (r *run) seek(i int, key string, p uint64) int {
	n := r.len()
	step := 1
	lo := i
	for {
		j := lo + step - 1
		if j >= n {
			return r.lowerBound(lo, n, key, p)
		}
		if !r.less(j, key, p) {
			return r.lowerBound(lo, j, key, p)
		}
		lo = j + 1
		step *= 2
	}
}

// find returns the index of key and whether it is there (if not, the index
// where it belongs).
func (r *run) find(key string, p uint64) (int, bool) {
	n := r.len()
	if n == 0 {
		return 0, false
	}
	// The first block whose first key is above key; key belongs in the
	// block before it.
	lo, hi := 0, len(r.fence)
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		q := r.fence[h]
		var above bool
		if decided(q, p) {
			above = q > p
		} else {
			above = r.key(h*fenceEvery) > key
		}
		if above {
			hi = h
		} else {
			lo = h + 1
		}
	}
	if lo == 0 {
		return 0, false // below the first key
	}
	start := (lo - 1) * fenceEvery
	i := r.lowerBound(start, min(start+fenceEvery, n), key, p)
	return i, i < n && r.isKey(i, key, p)
}

// isKey reports whether key i is key.
func (r *run) isKey(i int, key string, p uint64) bool {
	return r.slots[i].w == p && (p&lenMask < prefixLen+1 || r.key(i) == key)
}

// check verifies that the keys ascend strictly and that every word is its
// key's.
func (r *run) check() error {
	if r == nil {
		return nil
	}
	if len(r.slots) == 0 {
		return fmt.Errorf("btree: empty run")
	}
	if len(r.fence) != (len(r.slots)+fenceEvery-1)/fenceEvery {
		return fmt.Errorf("btree: run of %d keys with a fence of %d", len(r.slots), len(r.fence))
	}
	for b, w := range r.fence {
		if w != r.slots[b*fenceEvery].w {
			return fmt.Errorf("btree: fence %d is %#x, word %d is %#x", b, w, b*fenceEvery, r.slots[b*fenceEvery].w)
		}
	}
	for i := range r.slots {
		k := r.key(i)
		if word(k) != r.slots[i].w {
			return fmt.Errorf("btree: run key %d %q has word %#x, want %#x", i, k, r.slots[i].w, word(k))
		}
		if i > 0 && r.key(i-1) >= k {
			return fmt.Errorf("btree: run keys %d and %d out of order: %q, %q", i-1, i, r.key(i-1), k)
		}
	}
	return nil
}

// SetBuilder bulk-loads a Set from keys given in strictly ascending order.
// The zero value is ready to use.
type SetBuilder struct {
	slots []slot
}

// Add appends key, which must be greater than every key added before; if it
// is not, Add returns an error wrapping ErrOutOfOrder and adds nothing.
func (b *SetBuilder) Add(key string) error {
	if n := len(b.slots); n > 0 {
		if prev := slotKey(b.slots[n-1].w, b.slots[n-1].p); key <= prev {
			return fmt.Errorf("%w: %q after %q", ErrOutOfOrder, key, prev)
		}
	}
	b.slots = append(b.slots, slot{word(key), slotPtr(key)})
	return nil
}

// Set returns the set of the keys added and resets the builder.
func (b *SetBuilder) Set() Set {
	n := len(b.slots)
	if n == 0 {
		return Set{}
	}
	slots := b.slots
	if cap(slots) > n+n/16 {
		// Appending left up to twice the room: keep exactly the keys.
		slots = make([]slot, n)
		copy(slots, b.slots)
	}
	r := newRun(slots)
	*b = SetBuilder{}
	return Set{run: r, n: n}
}
