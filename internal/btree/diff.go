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
	var la, lb []*node[V]
	if a.root != nil {
		la = []*node[V]{a.root}
	}
	if b.root != nil {
		lb = []*node[V]{b.root}
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
			la = expand(la)
		}
		for ; hb > ha; hb-- {
			lb = expand(lb)
		}
		la, lb = dropShared(la, lb)
		if len(la) == 0 && len(lb) == 0 {
			return
		}
		if ha == 0 {
			mergeLeaves(la, lb, same, fn)
			return
		}
		la, lb = expand(la), expand(lb)
		ha, hb = ha-1, hb-1
	}
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

// expand replaces every inner node of l by its children, in order.
func expand[V any](l []*node[V]) []*node[V] {
	out := make([]*node[V], 0, len(l)*innerMax)
	for _, n := range l {
		out = append(out, n.kids[:n.n+1]...)
	}
	return out
}

// dropShared removes the nodes present in both lists (same pointer) from
// both, keeping the order of the others.
func dropShared[V any](la, lb []*node[V]) ([]*node[V], []*node[V]) {
	if len(la) == 0 || len(lb) == 0 {
		return la, lb
	}
	if len(la)*len(lb) > 4096 {
		return dropSharedMap(la, lb)
	}
	// Small lists (the usual case: a few changed paths): compare pairs,
	// without allocating unless something is shared.
	var ka, kb []*node[V]
	shared := 0
	for _, n := range lb {
		if slices.Contains(la, n) {
			shared++
		}
	}
	if shared == 0 {
		return la, lb
	}
	ka = make([]*node[V], 0, len(la)-shared)
	kb = make([]*node[V], 0, len(lb)-shared)
	for _, n := range la {
		if !slices.Contains(lb, n) {
			ka = append(ka, n)
		}
	}
	for _, n := range lb {
		if !slices.Contains(la, n) {
			kb = append(kb, n)
		}
	}
	return ka, kb
}

func dropSharedMap[V any](la, lb []*node[V]) ([]*node[V], []*node[V]) {
	inA := make(map[*node[V]]struct{}, len(la))
	for _, n := range la {
		inA[n] = struct{}{}
	}
	shared := make(map[*node[V]]struct{})
	kb := lb[:0:0]
	for _, n := range lb {
		if _, ok := inA[n]; ok {
			shared[n] = struct{}{}
			continue
		}
		kb = append(kb, n)
	}
	if len(shared) == 0 {
		return la, lb
	}
	ka := la[:0:0]
	for _, n := range la {
		if _, ok := shared[n]; !ok {
			ka = append(ka, n)
		}
	}
	return ka, kb
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
