package btree

import (
	"fmt"
	"strings"
	"unsafe"
)

// Builder bulk-loads a Tree from keys given in strictly ascending order, as
// log replay, snapshot restore and index backfill produce them. It packs
// nodes full and costs O(1) amortized per key, several times less than
// repeated Set.
//
// The zero value is an empty builder. A Builder is used by one goroutine.
// Tree empties it: adding keys afterwards starts a new, unrelated tree.
type Builder[V any] struct {
	edit   *Edit      // owns the nodes until Tree; never handed out
	leaves []*node[V] // completed leaves, in key order
	cur    *node[V]   // the leaf being filled, or nil
	n      int
}

// Add appends key with value v. It returns an error wrapping ErrOutOfOrder,
// and adds nothing, if key is not greater than the previous key.
func (b *Builder[V]) Add(key string, v V) error {
	if b.cur != nil {
		if prev := b.cur.key(b.cur.n - 1); key <= prev {
			return fmt.Errorf("%w: %q after %q", ErrOutOfOrder, key, prev)
		}
	}
	b.add(key, v)
	return nil
}

// add appends key, known to be greater than the keys before it.
func (b *Builder[V]) add(key string, v V) { b.addSlot(word(key), slotPtr(key), v) }

// addSlot appends the key whose slot is w and p (slot.go), known to be
// greater than the keys before it: a key taken from another node's slot
// is added without reading its bytes.
func (b *Builder[V]) addSlot(w uint64, p unsafe.Pointer, v V) {
	c := b.leafWithRoom()
	c.words[c.n], c.ptrs[c.n], c.vals[c.n] = w, p, v
	c.n++
	b.n++
}

// leafWithRoom returns the leaf being filled, starting a new one when it is
// full.
func (b *Builder[V]) leafWithRoom() *node[V] {
	if b.cur != nil && b.cur.n == leafMax {
		b.leaves = append(b.leaves, b.cur)
		b.cur = nil
	}
	if b.cur == nil {
		if b.edit == nil {
			b.edit = NewEdit()
		}
		b.cur = newLeaf[V](b.edit)
	}
	return b.cur
}

// Tree returns the tree holding every key added. Its nodes are owned by an
// Edit private to the builder, so every later Set or Delete copies what it
// changes.
func (b *Builder[V]) Tree() Tree[V] {
	if b.cur == nil {
		return Tree[V]{}
	}
	level, n, edit := append(b.leaves, b.cur), b.n, b.edit
	*b = Builder[V]{} // a fresh Edit next time: these nodes are never touched again
	if k := len(level); k > 1 && level[k-1].underfull() {
		// Only the last leaf can be short: even it out with the one before.
		level[k-2].share(level[k-1], nil, 0)
	}
	// mins[i] separates node i from node i-1: the shortest prefix of its
	// smallest key that is greater than every key before it, as a copy
	// (separator): the keys given are often parts of larger allocations
	// (an index's record blocks), which a separator must not keep alive
	// once their keys are deleted. It is made from the two keys' words
	// where they tell it (wordSeparator), so that building from other
	// nodes' slots (a part's delta rebuilt, rebuild.go) reads no key.
	mins := make([]string, len(level))
	for i := 1; i < len(level); i++ {
		lo, hi := level[i-1], level[i]
		if sep, ok := wordSeparator(lo.words[lo.n-1], hi.words[0]); ok {
			mins[i] = sep
		} else {
			mins[i] = separator(lo.key(lo.n-1), hi.key(0))
		}
	}
	for len(level) > 1 {
		level, mins = parents(edit, level, mins)
	}
	return Tree[V]{root: level[0], n: n}
}

// parents groups the nodes of one level, separated by mins, under
// full inner nodes (the last two share what is left so that neither is
// underfull) and returns the parents and the separators before each.
func parents[V any](edit *Edit, level []*node[V], mins []string) ([]*node[V], []string) {
	groups := (len(level) + innerMax - 1) / innerMax
	out := make([]*node[V], 0, groups)
	pmins := make([]string, 0, groups)
	for start := 0; start < len(level); {
		size := innerMax
		if rest := len(level) - start; rest <= innerMax {
			size = rest
		} else if rest < innerMax+innerMin {
			size = rest - rest/2 // the last two groups share rest
		}
		p := newInner[V](edit)
		p.n = size - 1
		copy(p.kids[:], level[start:start+size])
		for i, k := range mins[start+1 : start+size] {
			p.setKey(i, k, word(k))
		}
		out = append(out, p)
		pmins = append(pmins, mins[start])
		start += size
	}
	return out, pmins
}

// SetBuilder bulk-loads a Set from keys given in strictly ascending order.
// The zero value is ready to use.
type SetBuilder struct {
	keys []string
	// Borrowed makes the Set a borrowing one (borrow.go).
	Borrowed bool
}

// Add appends key, which must be greater than every key added before; if it
// is not, Add returns an error wrapping ErrOutOfOrder and adds nothing.
func (b *SetBuilder) Add(key string) error {
	if n := len(b.keys); n > 0 && key <= b.keys[n-1] {
		return fmt.Errorf("%w: %q after %q", ErrOutOfOrder, key, b.keys[n-1])
	}
	b.keys = append(b.keys, key)
	return nil
}

// Set returns the set of the keys added and resets the builder.
func (b *SetBuilder) Set() Set {
	n, borrowed := len(b.keys), b.Borrowed
	s := Set{borrowed: borrowed}
	if n == 0 {
		return s
	}
	lcp := commonPrefix(b.keys[0], b.keys[n-1])
	slots := newSlots(n, borrowed)
	for i, k := range b.keys {
		slots[i] = runSlot(k, lcp)
	}
	r := newRun(slots, strings.Clone(b.keys[0][:lcp]), borrowed)
	*b = SetBuilder{Borrowed: borrowed}
	l := s.own(nil)
	l.parts[0] = &part{run: r, n: int32(n), borrowed: borrowed}
	s.n = n
	l.split(0)
	return s
}
