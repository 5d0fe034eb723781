package dbvalue

import (
	"github.com/fleetdb-go/fleetdb/collection"
	"github.com/fleetdb-go/fleetdb/internal/btree"
)

// collTree is a value's collections by name. The tree holds pointers, so
// that its leaf is 416 bytes where 16 Collections of 48 bytes made it
// 1,152: every write copies the leaf of its collection's name (a single
// insert at 1M records allocated 10.6 KB, 1.1 KB of it that leaf). A
// Collection a tree points to is never changed, except by the transaction
// that allocated it, before its value is published (Txn.owned).
type collTree struct {
	t btree.Tree[*collection.Collection]
}

// get returns the named collection and whether it exists.
func (c collTree) get(name string) (collection.Collection, bool) {
	p, ok := c.t.Get(name)
	if !ok {
		return collection.Collection{}, false
	}
	return *p, true
}

// getKey returns the stored name equal to name, and whether there is one.
func (c collTree) getKey(name string) (string, bool) {
	k, _, ok := c.t.GetKey(name)
	return k, ok
}

// len returns the number of collections.
func (c collTree) len() int { return c.t.Len() }

// ascendAll visits the collections in name order until fn returns false.
func (c collTree) ascendAll(fn func(name string, c collection.Collection) bool) {
	c.t.AscendAll(func(name string, p *collection.Collection) bool { return fn(name, *p) })
}

// check runs the tree's consistency check.
func (c collTree) check() error { return c.t.Check() }

// collBuilder builds a collTree from collections added in name order.
type collBuilder struct {
	b btree.Builder[*collection.Collection]
}

// add appends c under name, which must follow every name added before.
func (b *collBuilder) add(name string, c collection.Collection) error {
	return b.b.Add(name, &c)
}

// tree returns the tree built.
func (b *collBuilder) tree() collTree { return collTree{b.b.Tree()} }
