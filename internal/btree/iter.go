package btree

// Iteration recurses down the tree (its depth is at most a dozen levels for
// any tree that fits in memory), so it allocates nothing and the descending
// walk costs what the ascending one does.

// Ascend calls fn for every key >= start, in ascending order, until fn
// returns false.
func (t Tree[V]) Ascend(start string, fn func(key string, v V) bool) {
	if t.root != nil {
		t.root.ascend(start, word(start), fn)
	}
}

// AscendAll calls fn for every key, in ascending order, until fn returns
// false.
func (t Tree[V]) AscendAll(fn func(key string, v V) bool) {
	if t.root != nil {
		t.root.ascendAll(fn)
	}
}

// Descend calls fn for every key <= start, in descending order, until fn
// returns false.
func (t Tree[V]) Descend(start string, fn func(key string, v V) bool) {
	if t.root != nil {
		t.root.descend(start, word(start), fn)
	}
}

// DescendAll calls fn for every key, in descending order, until fn returns
// false.
func (t Tree[V]) DescendAll(fn func(key string, v V) bool) {
	if t.root != nil {
		t.root.descendAll(fn)
	}
}

// ascend visits the keys >= start (p = word(start)) of the subtree n;
// false means fn stopped.
func (n *node[V]) ascend(start string, p uint64, fn func(string, V) bool) bool {
	if n.isLeaf() {
		vals := n.vals[:n.n]
		for i := n.lowerBound(start, p); i < len(vals); i++ {
			if !fn(n.key(i), vals[i]) {
				return false
			}
		}
		return true
	}
	i := n.upperBound(start, p)
	if !n.kids[i].ascend(start, p, fn) {
		return false
	}
	for _, kid := range n.kids[i+1 : n.n+1] {
		if !kid.ascendAll(fn) {
			return false
		}
	}
	return true
}

func (n *node[V]) ascendAll(fn func(string, V) bool) bool {
	if n.isLeaf() {
		vals := n.vals[:n.n]
		for i := range vals {
			if !fn(n.key(i), vals[i]) {
				return false
			}
		}
		return true
	}
	for _, kid := range n.kids[:n.n+1] {
		if !kid.ascendAll(fn) {
			return false
		}
	}
	return true
}

// descend visits the keys <= start (p = word(start)) of the subtree n;
// false means fn stopped.
func (n *node[V]) descend(start string, p uint64, fn func(string, V) bool) bool {
	i := n.upperBound(start, p)
	if n.isLeaf() {
		vals := n.vals[:i]
		for i--; i >= 0; i-- {
			if !fn(n.key(i), vals[i]) {
				return false
			}
		}
		return true
	}
	if !n.kids[i].descend(start, p, fn) {
		return false
	}
	for i--; i >= 0; i-- {
		if !n.kids[i].descendAll(fn) {
			return false
		}
	}
	return true
}

func (n *node[V]) descendAll(fn func(string, V) bool) bool {
	if n.isLeaf() {
		vals := n.vals[:n.n]
		for i := len(vals) - 1; i >= 0; i-- {
			if !fn(n.key(i), vals[i]) {
				return false
			}
		}
		return true
	}
	for i := n.n; i >= 0; i-- {
		if !n.kids[i].descendAll(fn) {
			return false
		}
	}
	return true
}
