package btree

import "strings"

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
// A leaf holds n entries: keys[i] maps to vals[i]; kids is nil.
// An inner node holds n separator keys and n+1 children, and no values: every
// key under kids[i] is >= keys[i-1] (for i > 0) and < keys[i] (for i < n). A
// separator need not be a key present in the tree.
//
// pfx[i] is prefix(keys[i]), so that searches compare integers held in the
// node and rarely follow a key to its bytes. Slots from n on are zero, so a
// node keeps nothing alive that it does not hold.
//
// The values live in the node itself, so that a leaf is one allocation (a
// path copy allocates one object per leaf) and Get reads a value without
// following one more pointer; an inner node leaves them zero, which costs
// leafMax values per inner node, about one node in twelve. An inner node's
// kids array is allocated with it (see inner) and belongs to it alone, so
// the owner of a node may write it.
type node[V any] struct {
	edit *Edit               // the owner: only operations given it modify the node
	kids *[innerMax]*node[V] // inner nodes only
	n    int                 // keys in use
	pfx  [maxKeys]uint64     // pfx[i] = prefix(keys[i])
	keys [maxKeys]string
	vals [leafMax]V // leaves only; zero in an inner node
}

func (n *node[V]) isLeaf() bool { return n.kids == nil }

func newLeaf[V any](e *Edit) *node[V] {
	return &node[V]{edit: e}
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

// prefix returns the first 8 bytes of s as a big-endian integer, padded with
// zero bytes. If prefix(a) < prefix(b) then a < b; if they are equal the
// strings must be compared.
func prefix(s string) uint64 {
	if len(s) >= 8 {
		_ = s[7]
		return uint64(s[0])<<56 | uint64(s[1])<<48 | uint64(s[2])<<40 | uint64(s[3])<<32 |
			uint64(s[4])<<24 | uint64(s[5])<<16 | uint64(s[6])<<8 | uint64(s[7])
	}
	var p uint64
	for i := 0; i < len(s); i++ {
		p |= uint64(s[i]) << (56 - 8*i)
	}
	return p
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

// lowerBound returns the smallest i < n.n with keys[i] >= key (n.n if none);
// p is prefix(key).
func (n *node[V]) lowerBound(key string, p uint64) int {
	lo, hi := 0, n.n
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if q := n.pfx[h]; q < p || q == p && tieLess(n.keys[h], key) {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return lo
}

// upperBound returns the smallest i < n.n with keys[i] > key (n.n if none);
// p is prefix(key). In an inner node it is the index of the child whose range
// holds key.
func (n *node[V]) upperBound(key string, p uint64) int {
	lo, hi := 0, n.n
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if q := n.pfx[h]; q < p || q == p && !tieLess(key, n.keys[h]) {
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
	return i, i < n.n && n.pfx[i] == p && tieEqual(n.keys[i], key)
}

// tieLess reports a < b for two keys with equal prefixes. Keys of at most 8
// bytes are then ordered by their lengths alone (the shorter is a prefix of the
// longer, which continues with zero bytes), so the comparison reads only the
// string headers held in the node, not the key bytes: for short keys (ids of a
// record map, most numbers) a search never leaves the node until it finds its
// key.
func tieLess(a, b string) bool {
	if len(a) <= 8 && len(b) <= 8 {
		return len(a) < len(b)
	}
	return a < b
}

// tieEqual reports a == b for two keys with equal prefixes, reading the key
// bytes only for keys longer than 8 bytes (see tieLess).
func tieEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	return len(a) <= 8 || a == b
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
	c.n, c.pfx = n.n, n.pfx
	copy(c.keys[:n.n], n.keys[:n.n])
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
