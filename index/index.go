package index

import (
	"slices"
	"strings"

	"github.com/fleetdb-go/fleetdb/internal/btree"
)

// Index is one sorted index of a collection: its entry keys (see
// AppendKey) in a persistent B+tree, each mapped to the record's JSON, so a
// scan reads records without a second lookup in the record map. An Index
// is a value; the methods that change it return a new Index and leave the
// receiver as it was, except for tree nodes owned by the edit token passed
// in (see package btree).
type Index struct {
	spec Spec
	tree btree.Tree[string]
}

// New returns an empty index with the given spec.
func New(spec Spec) Index { return Index{spec: spec} }

// Spec returns the index's spec.
func (ix Index) Spec() Spec { return ix.spec }

// Len returns the number of entries, which is the number of records.
func (ix Index) Len() int { return ix.tree.Len() }

// Insert adds the entry of record rec (encoded id id). buf is scratch space;
// the grown buffer is returned for reuse.
func (ix Index) Insert(e *btree.Edit, id, rec string, buf []byte) (Index, []byte) {
	buf = ix.spec.AppendKey(buf[:0], id, rec)
	return ix.InsertKey(e, string(buf), rec), buf
}

// Remove deletes the entry of record rec (encoded id id), as it was indexed.
func (ix Index) Remove(e *btree.Edit, id, rec string, buf []byte) (Index, []byte) {
	buf = ix.spec.AppendKey(buf[:0], id, rec)
	return ix.RemoveKey(e, string(buf)), buf
}

// InsertKey adds the entry with key key (see AppendKey) for record rec. The
// index keeps key and rec: a caller may allocate both in one string (as
// package collection does with a record and all its keys).
func (ix Index) InsertKey(e *btree.Edit, key, rec string) Index {
	ix.tree = ix.tree.Set(e, key, rec)
	return ix
}

// RemoveKey deletes the entry with key key. It does not keep key, so key may
// be a view of a scratch buffer.
func (ix Index) RemoveKey(e *btree.Edit, key string) Index {
	ix.tree, _ = ix.tree.Delete(e, key)
	return ix
}

// ReplaceKey points the entry of a record whose key was oldKey at its new
// version rec, stored under newKey. Like RemoveKey it does not keep oldKey;
// like InsertKey it keeps newKey and rec, even when the key is unchanged,
// so that nothing refers to the old version any more.
func (ix Index) ReplaceKey(e *btree.Edit, oldKey, newKey, rec string) Index {
	if oldKey != newKey {
		ix.tree, _ = ix.tree.Delete(e, oldKey)
	}
	ix.tree = ix.tree.Set(e, newKey, rec)
	return ix
}

// Replace points the entry of a record whose old version was oldRec at
// newRec, moving it when the indexed attributes changed.
func (ix Index) Replace(e *btree.Edit, id, oldRec, newRec string, buf []byte) (Index, []byte) {
	buf = ix.spec.AppendKey(buf[:0], id, oldRec)
	n := len(buf)
	buf = ix.spec.AppendKey(buf, id, newRec)
	if string(buf[:n]) != string(buf[n:]) {
		ix.tree, _ = ix.tree.Delete(e, string(buf[:n]))
		ix.tree = ix.tree.Set(e, string(buf[n:]), newRec)
		return ix, buf
	}
	// Same key: reuse the stored key string, only the value changes.
	ix.tree = ix.tree.Set(e, string(buf[:n]), newRec)
	return ix, buf
}

// Scan visits the entries whose keys are in [from, to) (to == "" means no
// upper bound), in key order or, with reverse, in reverse key order, until
// fn returns false. fn receives the entry's component part (so callers can
// group entries that tie on a prefix), the encoded id and the record.
func (ix Index) Scan(from, to string, reverse bool, fn func(comps, id, rec string) bool) {
	visit := func(key string, rec string) bool {
		id := IDOf(key)
		return fn(key[:len(key)-len(id)-idLenSize(id)], id, rec)
	}
	if !reverse {
		ix.tree.Ascend(from, func(key string, rec string) bool {
			if to != "" && key >= to {
				return false
			}
			return visit(key, rec)
		})
		return
	}
	step := func(key string, rec string) bool {
		if key < from {
			return false
		}
		if to != "" && key >= to {
			return true
		}
		return visit(key, rec)
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
		step := func(key string, _ string) bool {
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
		ix.tree.Ascend(start, func(key string, rec string) bool {
			id := IDOf(key)
			comps := key[:len(key)-len(id)-idLenSize(id)]
			if comps != group || (to != "" && key >= to) {
				return false
			}
			if !fn(comps, id, rec) {
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

func idLenSize(id string) int {
	if len(id) < 0x8000 {
		return 2
	}
	return 4
}

// Check verifies the index's tree structure.
func (ix Index) Check() error { return ix.tree.Check() }

// Entries visits every entry key with its record, in order (for
// consistency checks).
func (ix Index) Entries(fn func(key, rec string) bool) { ix.tree.AscendAll(fn) }

// Keys visits every entry key in order (for consistency checks).
func (ix Index) Keys(fn func(key string) bool) {
	ix.tree.AscendAll(func(k string, _ string) bool { return fn(k) })
}

// BuildSorted returns an index with the given spec holding the entries of
// n records visited by each: it computes every key, sorts them and bulk
// loads a tree with packed nodes.
func BuildSorted(spec Spec, n int, each func(fn func(id, rec string) bool)) Index {
	type entry struct{ key, rec string }
	entries := make([]entry, 0, n)
	var buf []byte
	each(func(id, rec string) bool {
		buf = spec.AppendKey(buf[:0], id, rec)
		entries = append(entries, entry{string(buf), rec})
		return true
	})
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	var b btree.Builder[string]
	for i, en := range entries {
		if i > 0 && entries[i-1].key == en.key {
			continue
		}
		b.Add(en.key, en.rec)
	}
	return Index{spec: spec, tree: b.Tree()}
}
