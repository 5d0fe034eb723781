package collection

import (
	"fmt"
	"slices"

	"github.com/fleetdb-go/fleetdb/index"
	"github.com/fleetdb-go/fleetdb/internal/btree"
)

// Builder bulk-loads a collection from records given in ascending id order,
// as snapshot restore, CreateIndex and FromRecords produce them: it makes
// each record's block once, loads the record map with packed leaves, and
// sorts each index's keys for a bulk load of its own. Besides the collection
// it needs one string header per record and index while it runs.
//
// A Builder is used by one goroutine; Collection empties it.
type Builder struct {
	specs   []index.Spec
	records btree.SetBuilder
	keys    [][]string // per index, the entry keys in id order
	buf     []byte
	ends    []int
	out     []string
	last    string
	n       int
}

// NewBuilder returns a builder of a collection with the given indexes (a
// spec whose key repeats an earlier one is skipped).
func NewBuilder(specs []index.Spec) *Builder {
	b := &Builder{}
	seen := map[string]bool{}
	for _, s := range specs {
		if !seen[s.Key()] {
			seen[s.Key()] = true
			b.specs = append(b.specs, s)
		}
	}
	b.keys = make([][]string, len(b.specs))
	b.out = make([]string, len(b.specs))
	return b
}

// Add adds the record rec with encoded id id. It returns an error wrapping
// btree.ErrOutOfOrder, and adds nothing, unless id is greater than the id
// added before.
func (b *Builder) Add(id, rec string) error {
	if b.n > 0 && id <= b.last {
		return fmt.Errorf("collection: id %q after %q: %w", id, b.last, btree.ErrOutOfOrder)
	}
	b.add(id, rec)
	return nil
}

// add adds a record whose id is known to be in order.
func (b *Builder) add(id, rec string) {
	b.buf, b.ends = b.buf[:0], b.ends[:0]
	for _, s := range b.specs {
		b.buf = s.AppendKey(b.buf, id, rec)
		b.ends = append(b.ends, len(b.buf))
	}
	_, bid := index.NewBlock(rec, id, b.buf, b.ends, b.out)
	if err := b.records.Add(bid); err != nil {
		panic(fmt.Sprintf("collection: builder given ids out of order: %v", err))
	}
	for i, k := range b.out {
		b.keys[i] = append(b.keys[i], k)
	}
	b.last = bid
	b.n++
}

// Collection returns the collection holding every record added.
func (b *Builder) Collection() Collection {
	c := Collection{records: b.records.Set()}
	for i, s := range b.specs {
		keys := b.keys[i]
		b.keys[i] = nil
		slices.Sort(keys)
		ix, err := index.FromSortedKeys(s, keys)
		if err != nil {
			// Entry keys end with the record's id, which is unique.
			panic(fmt.Sprintf("collection: index %s: %v", s.Raw(), err))
		}
		c.indexes = append(c.indexes, ix)
	}
	*b = Builder{}
	return c
}
