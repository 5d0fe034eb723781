package btree

import "fmt"

// Check verifies the structural invariants of t and returns the first
// violation found, or nil: keys strictly ascending, every key within the range
// its ancestors' separators allow, leaves all at one depth, every node off the
// right spine filled within bounds (a node on it holds at least one key, an
// inner one two children), words matching keys, unused slots zero, and
// Len equal to the number of keys. It walks the whole tree; it is meant for
// tests.
func (t Tree[V]) Check() error {
	if t.root == nil {
		if t.n != 0 {
			return fmt.Errorf("btree: empty tree has Len %d", t.n)
		}
		return nil
	}
	c := checker[V]{leafDepth: -1}
	if err := c.node(t.root, 0, true, "", false, "", false); err != nil {
		return err
	}
	if c.count != t.n {
		return fmt.Errorf("btree: Len is %d but the tree holds %d keys", t.n, c.count)
	}
	return nil
}

type checker[V any] struct {
	leafDepth int
	count     int
}

// node checks the subtree n at the given depth, whose keys must be >= lo (if
// hasLo) and < hi (if hasHi). Nodes on the right spine are the ones without
// an upper bound (!hasHi); they may be below the minimum fill (see insert).
func (c *checker[V]) node(n *node[V], depth int, root bool, lo string, hasLo bool, hi string, hasHi bool) error {
	if n == nil {
		return fmt.Errorf("btree: nil node at depth %d", depth)
	}
	if n.n < 0 || n.n > maxKeys {
		return fmt.Errorf("btree: node at depth %d has %d keys", depth, n.n)
	}
	for i := range n.n {
		k := n.key(i)
		if i > 0 && n.key(i-1) >= k {
			return fmt.Errorf("btree: keys %q, %q out of order at depth %d", n.key(i-1), k, depth)
		}
		if hasLo && k < lo {
			return fmt.Errorf("btree: key %q below its lower bound %q at depth %d", k, lo, depth)
		}
		if hasHi && k >= hi {
			return fmt.Errorf("btree: key %q not below its upper bound %q at depth %d", k, hi, depth)
		}
		if n.words[i] != word(k) {
			return fmt.Errorf("btree: key %q has word %#x, want %#x", k, n.words[i], word(k))
		}
	}
	for i := n.n; i < maxKeys; i++ {
		if n.ptrs[i] != nil || n.words[i] != 0 {
			return fmt.Errorf("btree: unused slot %d of a node at depth %d holds %#x", i, depth, n.words[i])
		}
	}
	if n.isLeaf() {
		low := leafMin
		if root || !hasHi {
			low = 1
		}
		if n.n < low || n.n > leafMax {
			return fmt.Errorf("btree: leaf at depth %d has %d keys, want %d..%d", depth, n.n, low, leafMax)
		}
		if c.leafDepth < 0 {
			c.leafDepth = depth
		} else if c.leafDepth != depth {
			return fmt.Errorf("btree: leaves at depths %d and %d", c.leafDepth, depth)
		}
		c.count += n.n
		return nil
	}
	kids := n.n + 1
	low := innerMin
	if root || !hasHi {
		low = 2
	}
	if kids < low || kids > innerMax {
		return fmt.Errorf("btree: inner node at depth %d has %d children, want %d..%d", depth, kids, low, innerMax)
	}
	for i := kids; i < innerMax; i++ {
		if n.kids[i] != nil {
			return fmt.Errorf("btree: unused child slot %d of a node at depth %d is set", i, depth)
		}
	}
	for i, kid := range n.kids[:kids] {
		klo, kHasLo, khi, kHasHi := lo, hasLo, hi, hasHi
		if i > 0 {
			klo, kHasLo = n.key(i-1), true
		}
		if i < n.n {
			khi, kHasHi = n.key(i), true
		}
		if err := c.node(kid, depth+1, false, klo, kHasLo, khi, kHasHi); err != nil {
			return err
		}
	}
	return nil
}
