package btree

import (
	"strings"
	"unsafe"
)

// Node capacity. See doc.go for the measurements behind it.
const (
	maxKeys  = 16          // key slots in a node (at least 4)
	leafMax  = maxKeys     // most keys in a leaf
	leafMin  = leafMax / 2 // fewest keys in a leaf other than the root
	innerMax = maxKeys     // most children of an inner node (one key fewer)
	innerMin = innerMax / 2
)

// node is a leaf or an inner node of the B+tree.
//
// A leaf holds n entries: key i maps to vals[i]; kids is nil.
// An inner node holds n separator keys and n+1 children, and no values: every
// key under kids[i] is >= key i-1 (for i > 0) and < key i (for i < n). A
// separator need not be a key present in the tree.
//
// Key i is held in two words (slot.go): words[i], its first 7 bytes and its
// length, so that searches compare integers held in the node and rarely
// follow a key to its bytes, and ptrs[i], the address of its bytes. A key
// costs 16 bytes of a node, where a string header next to a prefix cost 24.
// Slots from n on are zero, so a node keeps nothing alive that it does not
// hold.
//
// A leaf's values and an inner node's kids are allocated with the node (see
// leaf and inner), so that a path copy allocates one object per level, and
// belong to it alone, so the owner of a node may write them. An inner node
// carries no room for values: a delta's inner node (V a mark) is then 416
// bytes, not 576, and a single insert's path copies, mostly inner nodes,
// allocate a quarter less.
type node[V any] struct {
	edit  *Edit               // the owner: only operations given it modify the node
	kids  *[innerMax]*node[V] // inner nodes only
	vals  *[leafMax]V         // leaves only
	n     int                 // keys in use
	words [maxKeys]uint64     // words[i] = word(key i)
	ptrs  [maxKeys]unsafe.Pointer
}

func (n *node[V]) isLeaf() bool { return n.kids == nil }

// key returns key i of n.
func (n *node[V]) key(i int) string { return slotKey(n.words[i], n.ptrs[i]) }

// setKey stores key k, whose word is w, in slot i of n.
func (n *node[V]) setKey(i int, k string, w uint64) { n.words[i], n.ptrs[i] = w, slotPtr(k) }

// leaf is the allocation of a leaf: the node and its values in one object.
type leaf[V any] struct {
	node node[V]
	vals [leafMax]V
}

func newLeaf[V any](e *Edit) *node[V] {
	l := &leaf[V]{node: node[V]{edit: e}}
	l.node.vals = &l.vals
	return &l.node
}

// inner is the allocation of an inner node: the node and its children in one
// object, kids pointing into it (a path copy then allocates one object per
// level).
type inner[V any] struct {
	node node[V]
	kids [innerMax]*node[V]
}

func newInner[V any](e *Edit) *node[V] {
	in := &inner[V]{node: node[V]{edit: e}}
	in.node.kids = &in.kids
	return &in.node
}

// separator returns the shortest prefix of hi that is greater than lo (lo <
// hi), as a copy: a separator between two leaves that splits them as well as
// hi itself does, shares no bytes with either key, and so never keeps a
// deleted key (or the record it was allocated with) alive.
func separator(lo, hi string) string { return strings.Clone(shortest(lo, hi)) }

// shortest returns the shortest prefix of hi greater than lo (lo < hi).
func shortest(lo, hi string) string {
	i := 0
	for i < len(lo) && lo[i] == hi[i] {
		i++
	}
	return hi[:i+1]
}

// lowerBound returns the smallest i < n.n with key i >= key (n.n if none);
// p is word(key).
func (n *node[V]) lowerBound(key string, p uint64) int {
	lo, hi := 0, n.n
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		q := n.words[h]
		var less bool
		if decided(q, p) {
			less = q < p
		} else {
			less = n.key(h) < key
		}
		if less {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return lo
}

// upperBound returns the smallest i < n.n with key i > key (n.n if none);
// p is word(key). In an inner node it is the index of the child whose range
// holds key.
func (n *node[V]) upperBound(key string, p uint64) int {
	lo, hi := 0, n.n
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		q := n.words[h]
		var notAbove bool
		if decided(q, p) {
			notAbove = q <= p
		} else {
			notAbove = n.key(h) <= key
		}
		if notAbove {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return lo
}

// find returns the index of key in the leaf n and whether it is there (if
// not, the index where it belongs).
func (n *node[V]) find(key string, p uint64) (int, bool) {
	i := n.lowerBound(key, p)
	return i, i < n.n && n.words[i] == p && (p&lenMask < prefixLen+1 || n.key(i) == key)
}

// mut returns n itself if e owns it, and otherwise a copy of n owned by e.
// A nil e owns nothing: mut(nil) always copies.
func (n *node[V]) mut(e *Edit) *node[V] {
	if e != nil && n.edit == e {
		return n
	}
	// Copy only the slots in use: the rest are zero in both nodes, and
	// while the collector runs every pointer copied costs a write barrier.
	var c *node[V]
	if n.kids != nil {
		c = newInner[V](e)
		copy(c.kids[:n.n+1], n.kids[:n.n+1])
	} else {
		c = newLeaf[V](e)
		copy(c.vals[:n.n], n.vals[:n.n])
	}
	c.n, c.words = n.n, n.words
	copy(c.ptrs[:n.n], n.ptrs[:n.n])
	return c
}

// Operations on the arrays of a node, given as full-length slices a with the
// first k elements in use.

// insertAt inserts x at index i, shifting a[i:k] right by one (k < len(a)).
func insertAt[T any](a []T, k, i int, x T) {
	copy(a[i+1:k+1], a[i:k])
	a[i] = x
}

// removeAt removes a[i], shifting a[i+1:k] left and zeroing a[k-1].
func removeAt[T any](a []T, k, i int) {
	copy(a[i:k-1], a[i+1:k])
	var zero T
	a[k-1] = zero
}

// splitInsert treats a[:k] with x inserted at i as one sequence of k+1
// elements, leaves its first nl in a (zeroing the rest of a[:k]) and copies
// the others to the start of r.
func splitInsert[T any](a, r []T, k, i int, x T, nl int) {
	if i >= nl {
		m := copy(r, a[nl:i])
		r[m] = x
		copy(r[m+1:], a[i:k])
		clear(a[nl:k])
		return
	}
	copy(r, a[nl-1:k])
	copy(a[i+1:nl], a[i:nl-1])
	a[i] = x
	clear(a[nl:k])
}

// moveRight moves the last c of l[:kl] to the front of r[:kr].
func moveRight[T any](l, r []T, kl, kr, c int) {
	copy(r[c:kr+c], r[:kr])
	copy(r, l[kl-c:kl])
	clear(l[kl-c : kl])
}

// moveLeft moves the first c of r[:kr] to the end of l[:kl].
func moveLeft[T any](l, r []T, kl, kr, c int) {
	copy(l[kl:], r[:c])
	copy(r, r[c:kr])
	clear(r[kr-c : kr])
}
