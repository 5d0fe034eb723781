package btree

// Compaction: Compact copies a tree into fresh, full nodes allocated in a size class of their
// own, so that the nodes it keeps are packed together and the pages that held the old ones
// empty out once nothing else uses them (see doc.go, "Memory"). The class alternates between
// two padded variants of the node (Class 1 and 2); the writes that follow copy nodes into the
// plain class (0) as always.

// leafPad and innerPad are a node, or an inner node with its children, with padding that moves
// their allocation into the next size classes (for sets: 320 and 352 bytes for a 280-byte
// leaf in the 288-byte class, 480 and 576 for a 408-byte inner node in the 416-byte class).
type leafPad1[V any] struct {
	n node[V]
	_ [32]byte
}

type leafPad2[V any] struct {
	n node[V]
	_ [64]byte
}

type innerPad1[V any] struct {
	in inner[V]
	_  [64]byte
}

type innerPad2[V any] struct {
	in inner[V]
	_  [128]byte
}

// allocLeaf returns a new leaf owned by e in size class variant c (0: the plain one).
func allocLeaf[V any](e *Edit, c uint8) *node[V] {
	switch c {
	case 1:
		p := &leafPad1[V]{}
		p.n.edit = e
		return &p.n
	case 2:
		p := &leafPad2[V]{}
		p.n.edit = e
		return &p.n
	}
	return newLeaf[V](e)
}

// allocInner returns a new inner node owned by e in size class variant c.
func allocInner[V any](e *Edit, c uint8) *node[V] {
	var in *inner[V]
	switch c {
	case 1:
		in = &(&innerPad1[V]{}).in
	case 2:
		in = &(&innerPad2[V]{}).in
	default:
		return newInner[V](e)
	}
	in.node.edit = e
	in.node.kids = &in.kids
	return &in.node
}

// Compact returns a tree holding the same keys and values as t in new, full nodes of size
// class variant c (1 or 2). t is unchanged and stays valid.
func (t Tree[V]) Compact(c uint8) Tree[V] {
	b := Builder[V]{class: c}
	if t.root != nil {
		b.addLeaves(t.root)
	}
	return b.Tree()
}

// addLeaves appends the entries of the leaves under n, in order, copying them a run at a time
// with their words.
func (b *Builder[V]) addLeaves(n *node[V]) {
	if n.kids != nil {
		for _, k := range n.kids[:n.n+1] {
			b.addLeaves(k)
		}
		return
	}
	for i := 0; i < n.n; {
		c := b.leafWithRoom()
		k := min(n.n-i, leafMax-c.n)
		copy(c.ptrs[c.n:], n.ptrs[i:i+k])
		copy(c.words[c.n:], n.words[i:i+k])
		copy(c.vals[c.n:], n.vals[i:i+k])
		c.n += k
		b.n += k
		i += k
	}
}
