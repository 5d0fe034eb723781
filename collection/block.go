package collection

import (
	"strings"
	"unsafe"
)

// A record with indexes is stored as one string, its block:
//
//	+-------------+------------+-------------+-----+-------------+
//	| record JSON | encoded id | key, index 0| ... | key, index n|
//	+-------------+------------+-------------+-----+-------------+
//
// The record map holds the id and the JSON, every index its entry key and
// the JSON, all as substrings of the block. One allocation per record instead
// of one for each key and the JSON saves the size-class rounding of each
// (about 30 bytes per record with three indexes) and three allocations per
// insert. A later version of the record gets a new block and replaces every
// substring of the old one (btree.Set stores the new key string even when the
// key is unchanged), and the tree's separators are copies, so an old block
// is garbage once its record is replaced or deleted.

// keyScratch is the stack buffer the entry keys of one record are computed
// in; longer keys spill to the heap.
const keyScratch = 512

// maxStackIndexes is how many key ends keyEnds holds without allocating.
const maxStackIndexes = 8

// appendKeys appends the entry key of rec (encoded id id) in every index of
// c to buf and the end of each key in buf to ends.
func (c *Collection) appendKeys(buf []byte, ends []int, id, rec string) ([]byte, []int) {
	for i := range c.indexes {
		buf = c.indexes[i].Spec().AppendKey(buf, id, rec)
		ends = append(ends, len(buf))
	}
	return buf, ends
}

// newBlock returns rec, id and keys in one string (see above), and the
// record and id as substrings of it.
func newBlock(rec, id string, keys []byte) (blk, brec, bid string) {
	var b strings.Builder
	b.Grow(len(rec) + len(id) + len(keys))
	b.WriteString(rec)
	b.WriteString(id)
	b.Write(keys)
	blk = b.String()
	return blk, blk[:len(rec)], blk[len(rec) : len(rec)+len(id)]
}

// view returns the bytes of b as a string without copying, for lookups and
// deletions that do not keep the key (btree.Delete, index.RemoveKey). b must
// not change while the string is in use.
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
