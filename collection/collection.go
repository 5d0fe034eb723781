package collection

import (
	"github.com/fleetdb-go/fleetdb/index"
	"github.com/fleetdb-go/fleetdb/internal/btree"
)

// Collection is an immutable collection value. The zero value is empty.
type Collection struct {
	records btree.Tree[string] // encoded id → compact record JSON
	indexes []index.Index      // in creation order
	owner   *btree.Edit        // the edit that may change indexes in place
}

// Len returns the number of records.
func (c Collection) Len() int { return c.records.Len() }

// IsEmpty reports whether the collection has no records and no indexes; an
// empty collection does not exist (docs/query-language.md).
func (c Collection) IsEmpty() bool { return c.records.Len() == 0 && len(c.indexes) == 0 }

// Get returns the record with encoded id id.
func (c Collection) Get(id string) (string, bool) { return c.records.Get(id) }

// Has reports whether a record with encoded id id exists.
func (c Collection) Has(id string) bool {
	_, ok := c.records.Get(id)
	return ok
}

// Scan visits the records in id order until fn returns false.
func (c Collection) Scan(fn func(id, rec string) bool) { c.records.AscendAll(fn) }

// ScanReverse visits the records in reverse id order until fn returns false.
func (c Collection) ScanReverse(fn func(id, rec string) bool) { c.records.DescendAll(fn) }

// ScanRange visits the records whose encoded ids are in [from, to) (to ==
// "" means no upper bound), in id order or, with reverse, in reverse id
// order, until fn returns false.
func (c Collection) ScanRange(from, to string, reverse bool, fn func(id, rec string) bool) {
	if !reverse {
		c.records.Ascend(from, func(id, rec string) bool {
			return (to == "" || id < to) && fn(id, rec)
		})
		return
	}
	step := func(id, rec string) bool {
		if id < from {
			return false
		}
		return (to != "" && id >= to) || fn(id, rec)
	}
	if to == "" {
		c.records.DescendAll(step)
	} else {
		c.records.Descend(to, step)
	}
}

// Indexes returns the collection's indexes in creation order. The slice
// must not be modified.
func (c Collection) Indexes() []index.Index { return c.indexes }

// Index returns the index whose spec has the given key.
func (c Collection) Index(specKey string) (index.Index, bool) {
	for _, ix := range c.indexes {
		if ix.Spec().Key() == specKey {
			return ix, true
		}
	}
	return index.Index{}, false
}

// ownIndexes makes c.indexes safe to change in place under edit e.
func (c *Collection) ownIndexes(e *btree.Edit) {
	if e != nil && c.owner == e {
		return
	}
	c.indexes = append([]index.Index(nil), c.indexes...)
	c.owner = e
}

// Insert adds a record whose id is not in the collection.
func (c Collection) Insert(e *btree.Edit, id, rec string) Collection {
	if len(c.indexes) == 0 {
		c.records = c.records.Set(e, id, rec)
		return c
	}
	c.ownIndexes(e)
	var scratch [keyScratch]byte
	var endsArr [maxStackIndexes]int
	keys, ends := c.appendKeys(scratch[:0], endsArr[:0], id, rec)
	blk, rec, id := newBlock(rec, id, keys)
	c.records = c.records.Set(e, id, rec)
	start := len(rec) + len(id)
	for i := range c.indexes {
		end := len(rec) + len(id) + ends[i]
		c.indexes[i] = c.indexes[i].InsertKey(e, blk[start:end], rec)
		start = end
	}
	return c
}

// Put inserts the record or replaces the record with the same id.
func (c Collection) Put(e *btree.Edit, id, rec string) Collection {
	old, ok := c.records.Get(id)
	if !ok {
		return c.Insert(e, id, rec)
	}
	if len(c.indexes) == 0 {
		c.records = c.records.Set(e, id, rec)
		return c
	}
	c.ownIndexes(e)
	var oldScratch, scratch [keyScratch]byte
	var oldEndsArr, endsArr [maxStackIndexes]int
	oldKeys, oldEnds := c.appendKeys(oldScratch[:0], oldEndsArr[:0], id, old)
	keys, ends := c.appendKeys(scratch[:0], endsArr[:0], id, rec)
	blk, rec, id := newBlock(rec, id, keys)
	c.records = c.records.Set(e, id, rec)
	start, oldStart := len(rec)+len(id), 0
	for i := range c.indexes {
		end := len(rec) + len(id) + ends[i]
		oldKey := view(oldKeys[oldStart:oldEnds[i]])
		c.indexes[i] = c.indexes[i].ReplaceKey(e, oldKey, blk[start:end], rec)
		start, oldStart = end, oldEnds[i]
	}
	return c
}

// Delete removes the record with encoded id id, if present.
func (c Collection) Delete(e *btree.Edit, id string) Collection {
	old, ok := c.records.Get(id)
	if !ok {
		return c
	}
	c.records, _ = c.records.Delete(e, id)
	if len(c.indexes) == 0 {
		return c
	}
	c.ownIndexes(e)
	var scratch [keyScratch]byte
	var endsArr [maxStackIndexes]int
	keys, ends := c.appendKeys(scratch[:0], endsArr[:0], id, old)
	start := 0
	for i := range c.indexes {
		c.indexes[i] = c.indexes[i].RemoveKey(e, view(keys[start:ends[i]]))
		start = ends[i]
	}
	return c
}

// CreateIndex adds an index and fills it from the records. It reports
// false (and returns c unchanged) when an index with the same spec key
// exists.
func (c Collection) CreateIndex(e *btree.Edit, spec index.Spec) (Collection, bool) {
	if _, ok := c.Index(spec.Key()); ok {
		return c, false
	}
	ix := index.BuildSorted(spec, c.records.Len(), c.records.AscendAll)
	c.ownIndexes(e)
	c.indexes = append(c.indexes, ix)
	return c, true
}

// DropIndex removes the index with the given spec key; it reports whether
// there was one.
func (c Collection) DropIndex(e *btree.Edit, specKey string) (Collection, bool) {
	for i, ix := range c.indexes {
		if ix.Spec().Key() == specKey {
			c.ownIndexes(e)
			c.indexes = append(c.indexes[:i:i], c.indexes[i+1:]...)
			return c, true
		}
	}
	return c, false
}

// FromRecords builds a collection from a record map (encoded id → JSON) and
// index specs, filling each index with a bulk load of its sorted keys.
func FromRecords(records btree.Tree[string], specs []index.Spec) Collection {
	c := Collection{records: records}
	for _, spec := range specs {
		if _, dup := c.Index(spec.Key()); dup {
			continue
		}
		c.indexes = append(c.indexes, index.BuildSorted(spec, records.Len(), records.AscendAll))
	}
	return c
}
