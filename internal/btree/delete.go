package btree

import "unsafe"

// remove deletes key (with p = word(key)) from the subtree rooted at n and
// returns the subtree's new root, which may be left with fewer entries than
// the minimum (the caller rebalances), and whether key was present. When it
// was not, nothing is copied or changed.
func (n *node[V]) remove(e *Edit, key string, p uint64) (*node[V], bool) {
	if n.isLeaf() {
		i, found := n.find(key, p)
		if !found {
			return n, false
		}
		n = n.mut(e)
		removeAt(n.words[:], n.n, i)
		removeAt(n.ptrs[:], n.n, i)
		removeAt(n.vals[:], n.n, i)
		n.n--
		return n, true
	}
	i := n.upperBound(key, p)
	kid, ok := n.kids[i].remove(e, key, p)
	if !ok {
		return n, false
	}
	n = n.mut(e)
	n.kids[i] = kid
	if kid.underfull() {
		n.rebalance(e, i)
	}
	return n, true
}

// underfull reports whether n, if it is not the root, has too few entries.
func (n *node[V]) underfull() bool {
	if n.isLeaf() {
		return n.n < leafMin
	}
	return n.n+1 < innerMin
}

// rebalance fixes the underfull child i of n, which e owns: it merges the
// child with a neighbour when both fit in one node, and otherwise shares the
// entries of both evenly between them.
func (n *node[V]) rebalance(e *Edit, i int) {
	j := max(i-1, 0) // the pair is kids[j], kids[j+1]
	l, r := n.kids[j], n.kids[j+1]
	if l.isLeaf() && l.n+r.n <= leafMax || !l.isLeaf() && l.n+r.n+2 <= innerMax {
		l = l.mut(e)
		l.merge(r, n.ptrs[j], n.words[j])
		n.kids[j] = l
		removeAt(n.words[:], n.n, j)
		removeAt(n.ptrs[:], n.n, j)
		removeAt(n.kids[:], n.n+1, j+1)
		n.n--
		return
	}
	l, r = l.mut(e), r.mut(e)
	n.words[j], n.ptrs[j] = l.share(r, n.ptrs[j], n.words[j])
	n.kids[j], n.kids[j+1] = l, r
}

// merge appends the entries of its right neighbour r to l (which the caller
// owns); sep, with word p, is their separator in the parent (as a slot
// pointer).
func (l *node[V]) merge(r *node[V], sep unsafe.Pointer, p uint64) {
	if l.isLeaf() {
		copy(l.words[l.n:], r.words[:r.n])
		copy(l.ptrs[l.n:], r.ptrs[:r.n])
		copy(l.vals[l.n:], r.vals[:r.n])
		l.n += r.n
		return
	}
	// sep comes down between the children of l and those of r.
	l.words[l.n], l.ptrs[l.n] = p, sep
	copy(l.words[l.n+1:], r.words[:r.n])
	copy(l.ptrs[l.n+1:], r.ptrs[:r.n])
	copy(l.kids[l.n+1:], r.kids[:r.n+1])
	l.n += r.n + 1
}

// share moves entries between neighbours l and r (both owned by the caller)
// so that they hold the same number (within one), and returns their new
// separator's word and slot pointer; sep, with word p, is the old one.
func (l *node[V]) share(r *node[V], sep unsafe.Pointer, p uint64) (uint64, unsafe.Pointer) {
	if l.isLeaf() {
		nl := (l.n + r.n) / 2
		if c := l.n - nl; c > 0 {
			moveRight(l.words[:], r.words[:], l.n, r.n, c)
			moveRight(l.ptrs[:], r.ptrs[:], l.n, r.n, c)
			moveRight(l.vals[:], r.vals[:], l.n, r.n, c)
			l.n, r.n = l.n-c, r.n+c
		} else if c < 0 {
			moveLeft(l.words[:], r.words[:], l.n, r.n, -c)
			moveLeft(l.ptrs[:], r.ptrs[:], l.n, r.n, -c)
			moveLeft(l.vals[:], r.vals[:], l.n, r.n, -c)
			l.n, r.n = l.n-c, r.n+c
		}
		sep := separator(l.key(l.n-1), r.key(0))
		return word(sep), slotPtr(sep)
	}
	// Rotate through the parent: sep comes down to the front of r (or the
	// end of l) and the key before the moved children goes up.
	nl := (l.n + r.n + 2) / 2 // children left on l
	if c := l.n + 1 - nl; c > 0 {
		// l's last c children move to r; the keys between them and sep
		// go with them, l's key before them goes up.
		moveRight(l.kids[:], r.kids[:], l.n+1, r.n+1, c)
		insertAt(r.words[:], r.n, 0, p)
		insertAt(r.ptrs[:], r.n, 0, sep)
		moveRight(l.words[:], r.words[:], l.n, r.n+1, c-1)
		moveRight(l.ptrs[:], r.ptrs[:], l.n, r.n+1, c-1)
		l.n, r.n = l.n-c, r.n+c
		up, upp := l.ptrs[l.n], l.words[l.n]
		l.ptrs[l.n], l.words[l.n] = nil, 0
		return upp, up
	} else if c < 0 {
		// r's first -c children move to l, after sep.
		c = -c
		moveLeft(l.kids[:], r.kids[:], l.n+1, r.n+1, c)
		l.words[l.n], l.ptrs[l.n] = p, sep
		moveLeft(l.words[:], r.words[:], l.n+1, r.n, c-1)
		moveLeft(l.ptrs[:], r.ptrs[:], l.n+1, r.n, c-1)
		up, upp := r.ptrs[0], r.words[0]
		removeAt(r.words[:], r.n-(c-1), 0)
		removeAt(r.ptrs[:], r.n-(c-1), 0)
		l.n, r.n = l.n+c, r.n-c
		return upp, up
	}
	return p, sep
}
