package index

import (
	"slices"

	"github.com/fleetdb-go/fleetdb/internal/btree"
)

// Index is one sorted index of a collection: a set of entry keys (see
// AppendKey) in a persistent B+tree. An Index is a value; the methods that
// change it return a new Index and leave the receiver as it was, except for
// tree nodes owned by the edit token passed in (see package btree).
type Index struct {
	spec Spec
	tree btree.Tree[struct{}]
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
	ix.tree = ix.tree.Set(e, string(buf), struct{}{})
	return ix, buf
}

// Remove deletes the entry of record rec (encoded id id), as it was indexed.
func (ix Index) Remove(e *btree.Edit, id, rec string, buf []byte) (Index, []byte) {
	buf = ix.spec.AppendKey(buf[:0], id, rec)
	ix.tree, _ = ix.tree.Delete(e, string(buf))
	return ix, buf
}

// Replace moves the entry of a record whose old version was oldRec to the
// position of newRec; it does nothing when the indexed attributes are the
// same.
func (ix Index) Replace(e *btree.Edit, id, oldRec, newRec string, buf []byte) (Index, []byte) {
	buf = ix.spec.AppendKey(buf[:0], id, oldRec)
	n := len(buf)
	buf = ix.spec.AppendKey(buf, id, newRec)
	if string(buf[:n]) == string(buf[n:]) {
		return ix, buf
	}
	ix.tree, _ = ix.tree.Delete(e, string(buf[:n]))
	ix.tree = ix.tree.Set(e, string(buf[n:]), struct{}{})
	return ix, buf
}

// Scan visits the encoded ids of the entries whose keys are in [from, to)
// (to == "" means no upper bound), in key order or, with reverse, in
// reverse key order, until fn returns false. fn also receives the entry's
// component part, so callers can group entries that tie on a prefix.
func (ix Index) Scan(from, to string, reverse bool, fn func(comps, id string) bool) {
	visit := func(key string, _ struct{}) bool {
		id := IDOf(key)
		return fn(key[:len(key)-len(id)-idLenSize(id)], id)
	}
	if !reverse {
		ix.tree.Ascend(from, func(key string, v struct{}) bool {
			if to != "" && key >= to {
				return false
			}
			return visit(key, v)
		})
		return
	}
	step := func(key string, v struct{}) bool {
		if key < from {
			return false
		}
		if to != "" && key >= to {
			return true
		}
		return visit(key, v)
	}
	if to == "" {
		ix.tree.DescendAll(step)
	} else {
		ix.tree.Descend(to, step)
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

// Keys visits every entry key in order (for consistency checks).
func (ix Index) Keys(fn func(key string) bool) {
	ix.tree.AscendAll(func(k string, _ struct{}) bool { return fn(k) })
}

// BuildSorted returns an index with the given spec holding the entries of
// n records visited by each: it computes every key, sorts them and bulk
// loads a tree with packed nodes.
func BuildSorted(spec Spec, n int, each func(fn func(id, rec string) bool)) Index {
	keys := make([]string, 0, n)
	var buf []byte
	each(func(id, rec string) bool {
		buf = spec.AppendKey(buf[:0], id, rec)
		keys = append(keys, string(buf))
		return true
	})
	slices.Sort(keys)
	var b btree.Builder[struct{}]
	for i, k := range keys {
		if i > 0 && keys[i-1] == k {
			continue
		}
		b.Add(k, struct{}{})
	}
	return Index{spec: spec, tree: b.Tree()}
}
