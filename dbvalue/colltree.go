package dbvalue

import (
	"slices"
	"strings"

	"github.com/fleetdb-go/fleetdb/collection"
	"github.com/fleetdb-go/fleetdb/internal/btree"
)

// collTree is a value's collections by name. The tree holds pointers, so
// that its leaf is 416 bytes where 16 Collections of 48 bytes made it
// 1,152: every write copied the leaf of its collection's name (a single
// insert at 1M records allocated 10.6 KB, 1.1 KB of it that leaf). A
// Collection a tree points to is never changed, except by the transaction
// that allocated it, before its value is published (Txn.owned).
//
// The collection written last (hot) is held in the collTree itself, and
// stands for the tree's entry of its name (which stays, maybe stale):
// writes that keep to one collection, most of them, then copy neither a
// leaf nor a Collection (two of a single insert's allocations, 464 B), and
// a read of that collection does not search the tree. A write to another
// collection puts the hot one back in the tree first.
type collTree struct {
	t       btree.Tree[*collection.Collection]
	hotName string                // the tree's key of the hot collection
	hot     collection.Collection // the hot collection, if hasHot
	hasHot  bool
}

// get returns the named collection and whether it exists.
func (c *collTree) get(name string) (collection.Collection, bool) {
	if c.hasHot && name == c.hotName {
		return c.hot, true
	}
	p, ok := c.t.Get(name)
	if !ok {
		return collection.Collection{}, false
	}
	return *p, true
}

// getKey returns the stored name equal to name, and whether there is one.
func (c *collTree) getKey(name string) (string, bool) {
	k, _, ok := c.t.GetKey(name)
	return k, ok
}

// len returns the number of collections.
func (c *collTree) len() int { return c.t.Len() }

// ascendAll visits the collections in name order until fn returns false.
func (c *collTree) ascendAll(fn func(name string, c collection.Collection) bool) {
	c.t.AscendAll(func(name string, p *collection.Collection) bool {
		if c.hasHot && name == c.hotName {
			return fn(name, c.hot)
		}
		return fn(name, *p)
	})
}

// set stores coll, not empty, under name with edit token e, making it the
// hot collection. owned are the Collections the tree points to that e's
// transaction allocated (Txn.owned): the hot one put back is stored in
// place there, and a Collection set is added to them.
func (c *collTree) set(e *btree.Edit, name string, coll collection.Collection, owned *[]*collection.Collection) {
	if c.hasHot && name == c.hotName {
		c.hot = coll
		return
	}
	c.putBack(e, owned)
	// The tree keeps the name: never the caller's string, which may be a
	// substring of a whole request (a batch of records) that the name
	// would keep alive with every value and change-feed entry holding it.
	k, _, ok := c.t.GetKey(name)
	if !ok {
		k = strings.Clone(name)
		p := new(collection.Collection)
		*p = coll
		*owned = append(*owned, p)
		c.t = c.t.Set(e, k, p)
	}
	c.hotName, c.hot, c.hasHot = k, coll, true
}

// putBack stores the hot collection in the tree, which then holds every
// collection as it is.
func (c *collTree) putBack(e *btree.Edit, owned *[]*collection.Collection) {
	if !c.hasHot {
		return
	}
	if p, ok := c.t.Get(c.hotName); ok && slices.Contains(*owned, p) {
		*p = c.hot
	} else {
		p := new(collection.Collection)
		*p = c.hot
		*owned = append(*owned, p)
		c.t = c.t.Set(e, c.hotName, p)
	}
	c.dropHot()
}

// dropHot forgets the hot collection (the tree's entry of its name is
// then what stands), keeping nothing of it alive.
func (c *collTree) dropHot() {
	c.hotName, c.hot, c.hasHot = "", collection.Collection{}, false
}

// delete removes the named collection, if there is one.
func (c *collTree) delete(e *btree.Edit, name string) {
	if c.hasHot && name == c.hotName {
		c.dropHot()
	}
	c.t, _ = c.t.Delete(e, name)
}

// check runs the tree's consistency check, and the hot collection's
// name must be in it.
func (c *collTree) check() error {
	if err := c.t.Check(); err != nil {
		return err
	}
	if _, ok := c.t.Get(c.hotName); c.hasHot && !ok {
		return errorf("the collection written last, %q, is not in the tree", c.hotName)
	}
	return nil
}

// collBuilder builds a collTree from collections added in name order.
type collBuilder struct {
	b btree.Builder[*collection.Collection]
}

// add appends c under name, which must follow every name added before.
func (b *collBuilder) add(name string, c collection.Collection) error {
	return b.b.Add(name, &c)
}

// tree returns the tree built.
func (b *collBuilder) tree() collTree { return collTree{t: b.b.Tree()} }
