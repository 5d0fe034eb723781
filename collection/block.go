package collection

import (
	"unsafe"

	"github.com/fleetdb-go/fleetdb/index"
)

// Every record is stored as one string, its block (see index.NewBlock): the
// JSON, the encoded id and the record's entry key in every index, each
// entry key preceded by its offset from the id. The record map and the
// indexes hold only keys, substrings of the blocks, and find the JSON from
// a key's address (index.RecordOfID for the record map's, index.RecordOf
// for an index's). A later version of a record gets a new block and
// replaces every key of the old one (btree.Set.Put stores the new key string
// even when the key is unchanged, and the deltas' separators are copies), so
// an old block is garbage once its record is replaced or deleted.
//
// Measured at 200,000 records of ~130 B with three indexes (the in-process
// benchmark's shape): one block of ~250 B per record instead of five
// allocations (JSON, id, three keys: 278 B with size-class rounding), and
// leaves of 416 B instead of 704 B, since the trees hold no values.

// keyScratch is the size of the stack buffer the entry keys of one record
// are computed in; longer keys spill to the heap.
const keyScratch = 512

// maxStackIndexes is how many indexes the stack arrays of one write cover
// without allocating.
const maxStackIndexes = 8

// appendKeys appends the entry key of rec (encoded id id) in every index of
// c to buf and the end of each key in buf to ends.
func (c *Collection) appendKeys(buf []byte, ends []int, id, rec string) ([]byte, []int) {
	return index.AppendKeys(buf, ends, c.indexes, id, rec)
}

// keySlots returns out[:n], or a new slice when out is too short.
func keySlots(out []string, n int) []string {
	if n <= len(out) {
		return out[:n]
	}
	return make([]string, n)
}

// view returns the bytes of b as a string without copying, for lookups and
// deletions that do not keep the key (btree.Delete, index.RemoveKey). b must
// not change while the string is in use.
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
