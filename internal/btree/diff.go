package btree

import "slices"

// Diff calls fn, in key order, for every key whose entry differs between a
// (the old tree) and b (the new one): present in one only, or present in
// both with entries that same reports different. same and fn get the keys
// as each tree stores them (equal strings, but a key may carry more than
// its bytes: a record stored around its id). fn returning false stops.
//
// Subtrees that the two trees share (the same node, which persistence
// guarantees holds the same entries) are skipped without being read, so
// diffing a tree against one derived from it by k changes costs about
// k × fanout × height, not the size of the trees. Both trees must be
// frozen (published, or no longer changed by their edit) during the call.
func Diff[V any](a, b Tree[V], same func(ka string, x V, kb string, y V) bool, fn func(oldKey string, old V, hasOld bool, newKey string, new V, hasNew bool) bool) {
	// The lists of one level's differing nodes live in buffers on the
	// stack (two per tree, one level's list expanding into the other),
	// so diffing the few paths of a small write allocates nothing.
	var da, db diffLevel[V]
	la, lb := da.buf[0][:0], db.buf[0][:0]
	if a.root != nil {
		la = append(la, a.root)
	}
	if b.root != nil {
		lb = append(lb, b.root)
	}
	ha, hb := a.root.height(), b.root.height()
	for {
		if len(la) == 0 {
			ha = hb
		}
		if len(lb) == 0 {
			hb = ha
		}
		for ; ha > hb; ha-- {
			la = da.expand(la)
		}
		for ; hb > ha; hb-- {
			lb = db.expand(lb)
		}
		la, lb = dropShared(la, lb)
		if len(la) == 0 && len(lb) == 0 {
			return
		}
		if ha == 0 {
			mergeLeaves(la, lb, same, fn)
			return
		}
		la, lb = da.expand(la), db.expand(lb)
		ha, hb = ha-1, hb-1
	}
}

// diffStack is the room of each of Diff's stack buffers: one changed path
// expands to innerMax nodes, so 128 covers the paths of a few writes.
const diffStack = 128

// diffLevel holds one tree's level lists for Diff: the list of a level is
// expanded into the other buffer.
type diffLevel[V any] struct {
	buf [2][diffStack]*node[V]
	in  int // the buffer the current list is in
}

// height is the number of levels above the leaves (0 for a leaf or nil).
func (n *node[V]) height() int {
	h := 0
	for n != nil && n.kids != nil {
		n = n.kids[0]
		h++
	}
	return h
}

// expand returns the children of the inner nodes of l, in order, in the
// buffer l is not in (or on the heap when they do not fit).
func (d *diffLevel[V]) expand(l []*node[V]) []*node[V] {
	d.in ^= 1
	out := d.buf[d.in][:0]
	for _, n := range l {
		out = append(out, n.kids[:n.n+1]...)
	}
	return out
}

// dropShared removes the nodes present in both lists (same pointer) from
// both, in place, keeping the order of the others. A node appears at most
// once in a list.
func dropShared[V any](la, lb []*node[V]) ([]*node[V], []*node[V]) {
	if len(la) == 0 || len(lb) == 0 {
		return la, lb
	}
	shared := 0
	// The children of two versions of a node are mostly the same nodes at
	// the same places (a write copies one child per level; a split shifts
	// the ones after it by one): drop those first, in one pass.
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] == lb[i] {
			la[i], lb[i] = nil, nil
			shared++
		}
	}
	if shared > 0 {
		la, lb = compactNil(la), compactNil(lb)
		if len(la) == 0 || len(lb) == 0 {
			return la, lb
		}
	}
	rest := 0
	if len(la)*len(lb) > 4096 {
		inA := make(map[*node[V]]int, len(la))
		for i, n := range la {
			inA[n] = i
		}
		for j, n := range lb {
			if i, ok := inA[n]; ok {
				la[i], lb[j] = nil, nil
				rest++
			}
		}
	} else {
		// Small lists (the usual case: a few changed paths): compare pairs.
		for j, n := range lb {
			if i := slices.Index(la, n); i >= 0 {
				la[i], lb[j] = nil, nil
				rest++
			}
		}
	}
	if rest == 0 {
		return la, lb
	}
	return compactNil(la), compactNil(lb)
}

// compactNil removes the nil entries of l in place.
func compactNil[V any](l []*node[V]) []*node[V] {
	k := 0
	for _, n := range l {
		if n != nil {
			l[k] = n
			k++
		}
	}
	clear(l[k:])
	return l[:k]
}

// mergeLeaves merges the entries of two ordered lists of leaves.
func mergeLeaves[V any](la, lb []*node[V], same func(string, V, string, V) bool, fn func(string, V, bool, string, V, bool) bool) {
	var zero V
	ia, ib := leafCursor[V]{l: la}, leafCursor[V]{l: lb}
	for {
		ka, va, okA := ia.peek()
		kb, vb, okB := ib.peek()
		switch {
		case !okA && !okB:
			return
		case okA && (!okB || ka < kb):
			if !fn(ka, va, true, "", zero, false) {
				return
			}
			ia.next()
		case okB && (!okA || kb < ka):
			if !fn("", zero, false, kb, vb, true) {
				return
			}
			ib.next()
		default:
			if !same(ka, va, kb, vb) && !fn(ka, va, true, kb, vb, true) {
				return
			}
			ia.next()
			ib.next()
		}
	}
}

// leafCursor walks the entries of a list of leaves.
type leafCursor[V any] struct {
	l    []*node[V]
	i, j int // leaf, entry
}

func (c *leafCursor[V]) peek() (string, V, bool) {
	for c.i < len(c.l) && c.j >= c.l[c.i].n {
		c.i, c.j = c.i+1, 0
	}
	if c.i == len(c.l) {
		var zero V
		return "", zero, false
	}
	n := c.l[c.i]
	return n.keys[c.j], n.vals[c.j], true
}

func (c *leafCursor[V]) next() { c.j++ }

// Same reports whether t and u are the same tree (share their root), which
// implies that they hold the same entries.
func (t Tree[V]) Same(u Tree[V]) bool { return t.root == u.root && t.n == u.n }
