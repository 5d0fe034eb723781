package btree

// Tree is a sorted map from string keys (byte-wise order, as Go compares
// strings) to values of type V. The zero value is an empty tree.
//
// A Tree is a small value, a root pointer and a length; copying it is O(1)
// and the copy shares all nodes. Set and Delete return a new Tree and follow
// the ownership rule of Edit: given a nil Edit they never modify any node.
type Tree[V any] struct {
	root *node[V]
	n    int
}

// Len returns the number of keys in t.
func (t Tree[V]) Len() int { return t.n }

// Get returns the value stored under key and whether the key is present.
func (t Tree[V]) Get(key string) (V, bool) {
	n := t.root
	if n == nil {
		var zero V
		return zero, false
	}
	p := word(key)
	for n.kids != nil {
		n = n.kids[n.upperBound(key, p)]
	}
	if i, ok := n.find(key, p); ok {
		return n.vals[i], true
	}
	var zero V
	return zero, false
}

// GetKey returns the key stored in t that equals key, its value, and
// whether it is present. The stored string may differ from key in where its
// bytes live (package index finds a record from its key's address).
func (t Tree[V]) GetKey(key string) (string, V, bool) {
	n := t.root
	if n == nil {
		var zero V
		return "", zero, false
	}
	p := word(key)
	for n.kids != nil {
		n = n.kids[n.upperBound(key, p)]
	}
	if i, ok := n.find(key, p); ok {
		return n.key(i), n.vals[i], true
	}
	var zero V
	return "", zero, false
}

// Min returns the smallest key and its value; ok is false if t is empty.
func (t Tree[V]) Min() (key string, v V, ok bool) {
	n := t.root
	if n == nil {
		return "", v, false
	}
	for !n.isLeaf() {
		n = n.kids[0]
	}
	return n.key(0), n.vals[0], true
}

// Max returns the largest key and its value; ok is false if t is empty.
func (t Tree[V]) Max() (key string, v V, ok bool) {
	n := t.root
	if n == nil {
		return "", v, false
	}
	for !n.isLeaf() {
		n = n.kids[n.n]
	}
	i := n.n - 1
	return n.key(i), n.vals[i], true
}

// Set returns the tree with key mapped to v (added, or its value replaced).
//
// Nodes owned by e are modified in place; every other node on the path is
// copied and the copies are owned by e. With e == nil the edit is fully
// persistent: t and every tree sharing nodes with it stay unchanged.
func (t Tree[V]) Set(e *Edit, key string, v V) Tree[V] {
	t, _ = t.put(e, key, v, true)
	return t
}

// Add returns the tree with key mapped to v and true if key was not in t;
// otherwise t itself and false, with nothing copied. The ownership rule is
// that of Set. It is Set for a caller that must refuse a key already
// present (an insert of a record whose id is taken), in one descent
// instead of a Get and a Set.
func (t Tree[V]) Add(e *Edit, key string, v V) (Tree[V], bool) {
	return t.put(e, key, v, false)
}

// put is Set (replace) or Add; it reports whether key is new.
func (t Tree[V]) put(e *Edit, key string, v V, replace bool) (Tree[V], bool) {
	// With e == nil every node on the path is copied, once: insert never
	// asks for a mutable copy of a node it has already copied.
	p := word(key)
	if t.root == nil {
		root := newLeaf[V](e)
		root.n, root.vals[0] = 1, v
		root.setKey(0, key, p)
		return Tree[V]{root: root, n: 1}, true
	}
	root, s, added := t.root.insert(e, key, p, v, true, replace)
	if !added && !replace {
		return t, false
	}
	if s.right != nil {
		old := root
		root = newInner[V](e)
		root.n, root.words[0], root.ptrs[0] = 1, s.w, s.sep
		root.kids[0], root.kids[1] = old, s.right
	}
	if added {
		return Tree[V]{root: root, n: t.n + 1}, true
	}
	return Tree[V]{root: root, n: t.n}, false
}

// Delete returns the tree without key, and whether key was present. When it
// was not, t itself is returned and nothing is copied. The ownership rule is
// that of Set. A tree left empty is the zero Tree.
func (t Tree[V]) Delete(e *Edit, key string) (Tree[V], bool) {
	if t.root == nil {
		return t, false
	}
	if e == nil {
		// A private token, so that rebalancing can change in place the
		// nodes this call has already copied; no later call can own them.
		e = new(Edit)
	}
	root, ok := t.root.remove(e, key, word(key))
	if !ok {
		return t, false
	}
	switch {
	case root.isLeaf() && root.n == 0:
		return Tree[V]{}, true
	case !root.isLeaf() && root.n == 0:
		root = root.kids[0]
	}
	return Tree[V]{root: root, n: t.n - 1}, true
}
