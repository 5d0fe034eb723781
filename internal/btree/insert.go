package btree

// split describes a node that split in two: right is the new right half and
// sep (with pfx = prefix(sep)) the separator between the halves, greater than
// every key under the left half and not greater than any under right. right
// is nil when the node did not split.
type split[V any] struct {
	right *node[V]
	sep   string
	pfx   uint64
}

// insert maps key (with p = prefix(key)) to v in the subtree rooted at n. It
// returns the subtree's new root, how it split if it overflowed, and whether
// key is new.
func (n *node[V]) insert(e *Edit, key string, p uint64, v V) (*node[V], split[V], bool) {
	if n.isLeaf() {
		i, found := n.find(key, p)
		if found {
			n = n.mut(e)
			n.vals[i] = v
			return n, split[V]{}, false
		}
		if n.n < leafMax {
			n = n.mut(e)
			n.insertLeaf(i, key, p, v)
			return n, split[V]{}, true
		}
		return n.splitLeaf(e, i, key, p, v)
	}

	i := n.upperBound(key, p)
	kid, ks, added := n.kids[i].insert(e, key, p, v)
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
	n, s := n.splitInner(e, i, ks)
	return n, s, added
}

// insertLeaf inserts key at index i of the leaf n, which has room.
func (n *node[V]) insertLeaf(i int, key string, p uint64, v V) {
	insertAt(n.pfx[:], n.n, i, p)
	insertAt(n.keys[:], n.n, i, key)
	insertAt(n.vals[:], n.n, i, v)
	n.n++
}

// insertInner inserts the separator of s at index i and s.right as child i+1
// of the inner node n, which has room.
func (n *node[V]) insertInner(i int, s split[V]) {
	insertAt(n.pfx[:], n.n, i, s.pfx)
	insertAt(n.keys[:], n.n, i, s.sep)
	insertAt(n.kids[:], n.n+1, i+1, s.right)
	n.n++
}

// splitLeaf splits the full leaf n with key inserted at index i into two
// leaves owned by e; the left one is n itself if e owns n.
func (n *node[V]) splitLeaf(e *Edit, i int, key string, p uint64, v V) (*node[V], split[V], bool) {
	n = n.mut(e)
	r := newLeaf[V](e)
	total := n.n + 1
	nl := total - total/2
	splitInsert(n.pfx[:], r.pfx[:], n.n, i, p, nl)
	splitInsert(n.keys[:], r.keys[:], n.n, i, key, nl)
	splitInsert(n.vals[:], r.vals[:], n.n, i, v, nl)
	n.n, r.n = nl, total-nl
	return n, split[V]{right: r, sep: r.keys[0], pfx: r.pfx[0]}, true
}

// splitInner splits the full inner node n, owned by e, with the separator of
// s inserted at index i and s.right as child i+1, into two inner nodes, and
// returns the left one (n) and the separator pushed up.
func (n *node[V]) splitInner(e *Edit, i int, s split[V]) (*node[V], split[V]) {
	r := newInner[V](e)
	total := n.n + 2 // children, with the new one
	nl := total - total/2
	// The n.n+1 keys split as children do: the left node keeps nl of them,
	// the last of which moves up.
	splitInsert(n.pfx[:], r.pfx[:], n.n, i, s.pfx, nl)
	splitInsert(n.keys[:], r.keys[:], n.n, i, s.sep, nl)
	splitInsert(n.kids[:], r.kids[:], n.n+1, i+1, s.right, nl)
	up := split[V]{right: r, sep: n.keys[nl-1], pfx: n.pfx[nl-1]}
	n.keys[nl-1], n.pfx[nl-1] = "", 0
	n.n, r.n = nl-1, total-nl-1
	return n, up
}
