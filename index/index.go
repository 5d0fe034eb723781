package index

import (
	"github.com/fleetdb-go/fleetdb/internal/btree"
)

// Index is one sorted index of a collection: its entry keys (see
// AppendKey) in a persistent sorted set (btree.Set). Each key is stored inside its record's
// block (see NewBlock), so a scan reads the record from the key's address
// without a second lookup in the record map, and the tree holds no values.
// An Index is a value; the methods that change it return a new Index and
// leave the receiver as it was, except for tree nodes owned by the edit
// token passed in (see package btree).
type Index struct {
	spec Spec
	tree btree.Set
}

// New returns an empty index with the given spec.
func New(spec Spec) Index { return Index{spec: spec} }

// Spec returns the index's spec.
func (ix Index) Spec() Spec { return ix.spec }

// Len returns the number of entries, which is the number of records.
func (ix Index) Len() int { return ix.tree.Len() }

// Insert adds the entry of record rec (encoded id id), in a block of its
// own (package collection shares one block among the record map and every
// index instead, with InsertKey). buf is scratch space; the grown buffer is
// returned for reuse.
func (ix Index) Insert(e *btree.Edit, id, rec string, buf []byte) (Index, []byte) {
	buf = ix.spec.AppendKey(buf[:0], id, rec)
	return ix.InsertKey(e, ownBlock(rec, id, buf)), buf
}

// Remove deletes the entry of record rec (encoded id id), as it was indexed.
func (ix Index) Remove(e *btree.Edit, id, rec string, buf []byte) (Index, []byte) {
	buf = ix.spec.AppendKey(buf[:0], id, rec)
	return ix.RemoveKey(e, string(buf)), buf
}

// Replace points the entry of a record whose old version was oldRec at
// newRec (in a block of its own, as Insert), moving it when the indexed
// attributes changed.
func (ix Index) Replace(e *btree.Edit, id, oldRec, newRec string, buf []byte) (Index, []byte) {
	buf = ix.spec.AppendKey(buf[:0], id, oldRec)
	n := len(buf)
	buf = ix.spec.AppendKey(buf, id, newRec)
	return ix.ReplaceKey(e, string(buf[:n]), ownBlock(newRec, id, buf[n:])), buf
}

// ownBlock returns key as the only key of a new block of record rec.
func ownBlock(rec, id string, key []byte) string {
	ends := [1]int{len(key)}
	var out [1]string
	NewBlock(rec, id, key, ends[:], out[:])
	return out[0]
}

// InsertKey adds the entry key, which must be a key returned by NewBlock:
// the index finds the record through it.
func (ix Index) InsertKey(e *btree.Edit, key string) Index {
	ix.tree = ix.tree.Put(e, key)
	return ix
}

// InsertSorted adds the entries keys, which must ascend and be keys
// returned by NewBlock (a batch's, sorted: their places in the tree are
// found in one pass).
func (ix Index) InsertSorted(e *btree.Edit, keys []string) Index {
	ix.tree = ix.tree.PutSorted(e, keys)
	return ix
}

// RemoveKey deletes the entry with key key. It does not keep key, so key may
// be any string, a view of a scratch buffer included.
func (ix Index) RemoveKey(e *btree.Edit, key string) Index {
	ix.tree, _ = ix.tree.Delete(e, key)
	return ix
}

// ReplaceKey moves the entry of a record whose key was oldKey (any string,
// as for RemoveKey) to newKey, a key returned by NewBlock for its new
// version. The new key is stored even when it equals the old one, so that
// nothing refers to the old version's block any more.
func (ix Index) ReplaceKey(e *btree.Edit, oldKey, newKey string) Index {
	if oldKey != newKey {
		ix.tree, _ = ix.tree.Delete(e, oldKey)
	}
	ix.tree = ix.tree.Put(e, newKey)
	return ix
}

// Scan visits the entries whose keys are in [from, to) (to == "" means no
// upper bound), in key order or, with reverse, in reverse key order, until
// fn returns false. fn receives the entry's component part (so callers can
// group entries that tie on a prefix), the encoded id and the record.
func (ix Index) Scan(from, to string, reverse bool, fn func(comps, id, rec string) bool) {
	visit := func(key string) bool {
		comps, id := splitKey(key)
		return fn(comps, id, RecordOf(key))
	}
	if !reverse {
		ix.tree.Ascend(from, func(key string) bool {
			if to != "" && key >= to {
				return false
			}
			return visit(key)
		})
		return
	}
	step := func(key string) bool {
		if key < from {
			return false
		}
		if to != "" && key >= to {
			return true
		}
		return visit(key)
	}
	if to == "" {
		ix.tree.DescendAll(step)
	} else {
		ix.tree.Descend(to, step)
	}
}

// ScanGroupsReverse visits the entries in [from, to) like a reverse Scan,
// except that entries with equal components (a group: they differ only by
// id) come in ascending id order. It costs two seeks per group instead of
// buffering the group, so an ordered limit over large groups stays cheap.
func (ix Index) ScanGroupsReverse(from, to string, fn func(comps, id, rec string) bool) {
	hi := to
	for {
		var last string
		found := false
		step := func(key string) bool {
			if hi != "" && key >= hi {
				return true
			}
			if key >= from {
				last, found = key, true
			}
			return false
		}
		if hi == "" {
			ix.tree.DescendAll(step)
		} else {
			ix.tree.Descend(hi, step)
		}
		if !found {
			return
		}
		group := ComponentsOf(last)
		stopped := false
		start := max(group, from) // the bounds may cut a group
		ix.tree.Ascend(start, func(key string) bool {
			comps, id := splitKey(key)
			if comps != group || (to != "" && key >= to) {
				return false
			}
			if !fn(comps, id, RecordOf(key)) {
				stopped = true
				return false
			}
			return true
		})
		if stopped {
			return
		}
		hi = group
	}
}

// Check verifies the index's tree structure.
func (ix Index) Check() error { return ix.tree.Check() }

// Entries visits every entry key with its record, in order (for
// consistency checks).
func (ix Index) Entries(fn func(key, rec string) bool) {
	ix.tree.AscendAll(func(k string) bool { return fn(k, RecordOf(k)) })
}

// Keys visits every entry key in order (for consistency checks).
func (ix Index) Keys(fn func(key string) bool) {
	ix.tree.AscendAll(func(k string) bool { return fn(k) })
}

// FromSortedKeys returns an index with the given spec holding keys, which
// must be ascending, distinct and returned by NewBlock; they become the
// set's runs (btree.SetBuilder), with empty deltas.
func FromSortedKeys(spec Spec, keys []string) (Index, error) {
	b := btree.SetBuilder{Borrowed: true}
	for _, k := range keys {
		if err := b.Add(k); err != nil {
			return Index{}, err
		}
	}
	return Index{spec: spec, tree: b.Set()}, nil
}

// Compact returns the index with its delta merged into its run (btree.Set.Compact); the keys
// are the same strings.
func (ix Index) Compact() Index {
	ix.tree = ix.tree.Compact()
	return ix
}
