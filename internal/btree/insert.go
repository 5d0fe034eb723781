package btree

import "unsafe"

// split describes a node that split in two: right is the new right half and
// sep (a slot pointer, with its word w) the separator between the halves,
// greater than every key under the left half and not greater than any under
// right. right is nil when the node did not split.
type split[V any] struct {
	right *node[V]
	sep   unsafe.Pointer
	w     uint64
}

// insert maps key (with p = word(key)) to v in the subtree rooted at n. It
// returns the subtree's new root, how it split if it overflowed, and whether
// key is new. right says that n is on the right spine of the tree (the root
// or the last child of a node on it). Without replace, a key already there
// is left as it is and nothing is copied.
//
// A node on the right spine that overflows because key goes past its last
// entry splits unevenly: the left part stays full and the new right part
// starts nearly empty. Keys that arrive in ascending order (ids of a bulk
// load, log replay) then fill every leaf instead of half of each. Only the
// right spine may hold nodes below the minimum fill (see Check); a node
// leaves the spine only as the full left part of such a split.
func (n *node[V]) insert(e *Edit, key string, p uint64, v V, right, replace bool) (*node[V], split[V], bool) {
	if n.isLeaf() {
		i, found := n.find(key, p)
		if found && !replace {
			return n, split[V]{}, false // nothing copied on the way back up
		}
		if found {
			// The new key string replaces the old one although they are
			// equal: a caller that allocates a key together with its
			// value (package collection) then lets the old pair go.
			n = n.mut(e)
			n.ptrs[i], n.vals[i] = slotPtr(key), v
			return n, split[V]{}, false
		}
		if n.n < leafMax {
			n = n.mut(e)
			n.insertLeaf(i, key, p, v)
			return n, split[V]{}, true
		}
		return n.splitLeaf(e, i, key, p, v, right && i == n.n)
	}

	i := n.upperBound(key, p)
	right = right && i == n.n
	if kid := n.kids[i]; !right && kid.n == leafMax && kid.isLeaf() {
		if j, ok := n.roomBeside(i); ok {
			if _, found := kid.find(key, p); !found {
				// A private token when e is nil, as in Delete: the copies
				// made here are then changed in place by the insert below
				// instead of being copied again.
				if e == nil {
					e = new(Edit)
				}
				n = n.mut(e)
				n.shareLeaves(e, j)
				i = n.upperBound(key, p)
			}
		}
	}
	kid, ks, added := n.kids[i].insert(e, key, p, v, right, replace)
	if ks.right == nil {
		if kid != n.kids[i] {
			n = n.mut(e)
			n.kids[i] = kid
		} // else the child was changed in place
		return n, split[V]{}, added
	}
	n = n.mut(e)
	n.kids[i] = kid
	if n.n+1 < innerMax {
		n.insertInner(i, ks)
		return n, split[V]{}, added
	}
	n, s := n.splitInner(e, i, ks, right)
	return n, s, added
}

// roomBeside reports whether the full leaf kids[i] has a neighbour with room
// for at least two more entries, and returns j such that the pair is kids[j],
// kids[j+1]. The left neighbour is preferred: keys that arrive in ascending
// order in the middle of the tree (a batch of sequential ids in an index of
// their email addresses) fill the node left behind by the last split.
//
// Sharing with a neighbour instead of splitting keeps leaves about 80% full
// under random inserts instead of 69% (and instead of half full under
// ascending runs), at the price of copying the neighbour when a split was
// due, about once per leafMax/2 inserts into a leaf.
func (n *node[V]) roomBeside(i int) (int, bool) {
	if i > 0 && n.kids[i-1].n <= leafMax-2 {
		return i - 1, true
	}
	if i < n.n && n.kids[i+1].n <= leafMax-2 {
		return i, true
	}
	return 0, false
}

// shareLeaves evens out the entries of the leaves kids[j] and kids[j+1] of
// n, which e owns, and updates their separator.
func (n *node[V]) shareLeaves(e *Edit, j int) {
	l, r := n.kids[j].mut(e), n.kids[j+1].mut(e)
	n.words[j], n.ptrs[j] = l.share(r, n.ptrs[j], n.words[j])
	n.kids[j], n.kids[j+1] = l, r
}

// insertLeaf inserts key at index i of the leaf n, which has room.
func (n *node[V]) insertLeaf(i int, key string, p uint64, v V) {
	insertAt(n.words[:], n.n, i, p)
	insertAt(n.ptrs[:], n.n, i, slotPtr(key))
	insertAt(n.vals[:], n.n, i, v)
	n.n++
}

// insertInner inserts the separator of s at index i and s.right as child i+1
// of the inner node n, which has room.
func (n *node[V]) insertInner(i int, s split[V]) {
	insertAt(n.words[:], n.n, i, s.w)
	insertAt(n.ptrs[:], n.n, i, s.sep)
	insertAt(n.kids[:], n.n+1, i+1, s.right)
	n.n++
}

// splitLeaf splits the full leaf n with key inserted at index i into two
// leaves owned by e; the left one is n itself if e owns n. With appending
// (n on the right spine, key past its last entry) the new key alone goes
// right.
func (n *node[V]) splitLeaf(e *Edit, i int, key string, p uint64, v V, appending bool) (*node[V], split[V], bool) {
	n = n.mut(e)
	r := newLeaf[V](e)
	total := n.n + 1
	nl := total - total/2
	if appending {
		nl = n.n
	}
	splitInsert(n.words[:], r.words[:], n.n, i, p, nl)
	splitInsert(n.ptrs[:], r.ptrs[:], n.n, i, slotPtr(key), nl)
	splitInsert(n.vals[:], r.vals[:], n.n, i, v, nl)
	n.n, r.n = nl, total-nl
	sep := separator(n.key(n.n-1), r.key(0))
	return n, split[V]{right: r, sep: slotPtr(sep), w: word(sep)}, true
}

// splitInner splits the full inner node n, owned by e, with the separator of
// s inserted at index i and s.right as child i+1, into two inner nodes, and
// returns the left one (n) and the separator pushed up. With appending (n
// on the right spine, the new child last) the right node gets the last two
// children only.
func (n *node[V]) splitInner(e *Edit, i int, s split[V], appending bool) (*node[V], split[V]) {
	r := newInner[V](e)
	total := n.n + 2 // children, with the new one
	nl := total - total/2
	if appending {
		nl = total - 2
	}
	// The n.n+1 keys split as children do: the left node keeps nl of them,
	// the last of which moves up.
	splitInsert(n.words[:], r.words[:], n.n, i, s.w, nl)
	splitInsert(n.ptrs[:], r.ptrs[:], n.n, i, s.sep, nl)
	splitInsert(n.kids[:], r.kids[:], n.n+1, i+1, s.right, nl)
	up := split[V]{right: r, sep: n.ptrs[nl-1], w: n.words[nl-1]}
	n.ptrs[nl-1], n.words[nl-1] = nil, 0
	n.n, r.n = nl-1, total-nl-1
	return n, up
}
