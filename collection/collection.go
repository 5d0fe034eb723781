package collection

import (
	"github.com/fleetdb-go/fleetdb/index"
	"github.com/fleetdb-go/fleetdb/internal/btree"
)

// Collection is an immutable collection value. The zero value is empty.
type Collection struct {
	records btree.Set     // encoded ids, each in its record's block (see block.go)
	indexes []index.Index // in creation order
	owner   *btree.Edit   // the edit that may change indexes in place
	costs   *treeCosts    // what each tree's last sorted insert cost (parallel.go)
}

// Len returns the number of records.
func (c Collection) Len() int { return c.records.Len() }

// IsEmpty reports whether the collection has no records and no indexes; an
// empty collection does not exist (docs/query-language.md).
func (c Collection) IsEmpty() bool { return c.records.Len() == 0 && len(c.indexes) == 0 }

// Get returns the record with encoded id id.
func (c Collection) Get(id string) (string, bool) {
	k, ok := c.records.GetKey(id)
	if !ok {
		return "", false
	}
	return index.RecordOfID(k), true
}

// Has reports whether a record with encoded id id exists.
func (c Collection) Has(id string) bool {
	return c.records.Has(id)
}

// HasAny reports whether any of the encoded ids, which ascend, is in the
// collection. Ids past the collection's last (an ascending load's) need no
// lookup; others are looked up together (btree.Set.GetKeys), so that the
// cache misses of different ids overlap.
func (c Collection) HasAny(ids []string) bool {
	if len(ids) == 0 {
		return false
	}
	if last, ok := c.records.Max(); !ok || ids[0] > last {
		return false
	}
	var found [64]string
	for len(ids) > 0 {
		n := min(len(ids), len(found))
		c.records.GetKeys(ids[:n], found[:n])
		for _, f := range found[:n] {
			if f != "" {
				return true
			}
		}
		ids = ids[n:]
	}
	return false
}

// Scan visits the records in id order until fn returns false.
func (c Collection) Scan(fn func(id, rec string) bool) {
	c.records.AscendAll(func(id string) bool { return fn(id, index.RecordOfID(id)) })
}

// ScanReverse visits the records in reverse id order until fn returns false.
func (c Collection) ScanReverse(fn func(id, rec string) bool) {
	c.records.DescendAll(func(id string) bool { return fn(id, index.RecordOfID(id)) })
}

// ScanRange visits the records whose encoded ids are in [from, to) (to ==
// "" means no upper bound), in id order or, with reverse, in reverse id
// order, until fn returns false.
func (c Collection) ScanRange(from, to string, reverse bool, fn func(id, rec string) bool) {
	if !reverse {
		c.records.Ascend(from, func(id string) bool {
			return (to == "" || id < to) && fn(id, index.RecordOfID(id))
		})
		return
	}
	step := func(id string) bool {
		if id < from {
			return false
		}
		return (to != "" && id >= to) || fn(id, index.RecordOfID(id))
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
func (c Collection) Insert(e *btree.Edit, id, rec string, log *Log) Collection {
	c, _ = c.insert(e, id, rec, log, true)
	return c
}

// InsertNew adds a record if its id is not in the collection and reports
// whether it did; if the id is taken, c is returned unchanged. One descent
// of the record map decides and inserts (an insert that first asked Has
// walked it twice: 9 % of the server's CPU per pipelined insert).
func (c Collection) InsertNew(e *btree.Edit, id, rec string, log *Log) (Collection, bool) {
	return c.insert(e, id, rec, log, false)
}

// insert is Insert (known to be new: Set) or InsertNew (Add).
func (c Collection) insert(e *btree.Edit, id, rec string, log *Log, known bool) (Collection, bool) {
	var scratch [keyScratch]byte
	var endsArr [maxStackIndexes]int
	var outArr [maxStackIndexes]string
	keys, ends := c.appendKeys(scratch[:0], endsArr[:0], id, rec)
	out := keySlots(outArr[:], len(ends))
	_, bid := index.NewBlock(rec, id, keys, ends, out)
	if known {
		c.records = c.records.Put(e, bid)
	} else {
		var added bool
		if c.records, added = c.records.Add(e, bid); !added {
			return c, false
		}
	}
	log.add("", bid)
	if len(c.indexes) == 0 {
		return c, true
	}
	c.ownIndexes(e)
	for i := range c.indexes {
		c.indexes[i] = c.indexes[i].InsertKey(e, out[i])
	}
	return c, true
}

// Record is a record to insert: its encoded id and its JSON.
type Record struct {
	ID   string // index.EncodeValue of the id
	JSON string
}

// InsertMany adds recs, whose ids are new and distinct. The result is that
// of one Insert each, but each tree receives its keys in ascending order:
// consecutive keys land in the same leaf, which the edit token then
// changes in place while it is still in the cache, instead of each key
// descending to a random leaf. run, when not nil, may run parts of a large
// batch concurrently (parallel.go); recs must not change meanwhile.
func (c Collection) InsertMany(e *btree.Edit, recs []Record, run Runner, log *Log) Collection {
	if len(recs) < minSortedBatch {
		for _, r := range recs {
			c = c.Insert(e, r.ID, r.JSON, log)
		}
		return c
	}
	return c.insertSorted(e, recs, run, log)
}

// insertSorted is InsertMany for a batch of at least minSortedBatch
// records. It is a function of its own so that the tasks' closures, which
// move the collection to the heap, cost nothing on the small path (one
// allocation per single-record insert).
func (c Collection) insertSorted(e *btree.Edit, recs []Record, run Runner, log *Log) Collection {
	n := len(recs)
	ids := make([]string, n)
	keys := make([][]string, len(c.indexes))
	for j := range keys {
		keys[j] = make([]string, n)
	}
	// Blocks first (each record's JSON, id and keys in one allocation),
	// then each tree takes its keys in ascending order. With a Runner,
	// both phases of a large batch are split into tasks (parallel.go):
	// records build their blocks independently, and the trees share no
	// node, so each is changed by one task.
	run.run(n, blockParts, func(part int) {
		var scratch [keyScratch]byte
		var endsArr [maxStackIndexes]int
		var outArr [maxStackIndexes]string
		out := keySlots(outArr[:], len(c.indexes))
		for i := part * n / blockParts; i < (part+1)*n/blockParts; i++ {
			r := recs[i]
			buf, ends := c.appendKeys(scratch[:0], endsArr[:0], r.ID, r.JSON)
			_, ids[i] = index.NewBlock(r.JSON, r.ID, buf, ends, out)
			for j, k := range out {
				keys[j][i] = k
			}
		}
	}, nil)
	if len(c.indexes) > 0 {
		c.ownIndexes(e)
	}
	// The trees go to the Runner the costliest first (parallel.go).
	var order [1 + maxStackIndexes]int
	trees := c.costs.order(order[:0], 1+len(keys))
	took := make([]int64, len(trees))
	if run.run(n, len(trees), func(x int) {
		if t := trees[x]; t == 0 {
			sortKeys(ids)
			c.records = c.records.PutSorted(e, ids)
		} else {
			ks := keys[t-1]
			sortKeys(ks)
			c.indexes[t-1] = c.indexes[t-1].InsertSorted(e, ks)
		}
	}, took) {
		costs := &treeCosts{perKey: make([]float32, len(trees))}
		for x, t := range trees {
			costs.perKey[t] = float32(took[x]) / float32(n)
		}
		c.costs = costs
	}
	for _, id := range ids { // sorted by now
		log.add("", id)
	}
	return c
}

// minSortedBatch is the smallest batch InsertMany sorts; below it the sort
// and its slices cost more than the cache misses they save.
const minSortedBatch = 16

// Put inserts the record or replaces the record with the same id.
func (c Collection) Put(e *btree.Edit, id, rec string, log *Log) Collection {
	oldKey, ok := c.records.GetKey(id)
	if !ok {
		return c.Insert(e, id, rec, log)
	}
	old := index.RecordOfID(oldKey)
	var oldScratch, scratch [keyScratch]byte
	var oldEndsArr, endsArr [maxStackIndexes]int
	var outArr [maxStackIndexes]string
	oldKeys, oldEnds := c.appendKeys(oldScratch[:0], oldEndsArr[:0], id, old)
	keys, ends := c.appendKeys(scratch[:0], endsArr[:0], id, rec)
	out := keySlots(outArr[:], len(ends))
	_, bid := index.NewBlock(rec, id, keys, ends, out)
	c.records = c.records.Put(e, bid) // the new block's id replaces the old one's
	log.add(oldKey, bid)
	if len(c.indexes) == 0 {
		return c
	}
	c.ownIndexes(e)
	start := 0
	for i := range c.indexes {
		c.indexes[i] = c.indexes[i].ReplaceKey(e, view(oldKeys[start:oldEnds[i]]), out[i])
		start = oldEnds[i]
	}
	return c
}

// Delete removes the record with encoded id id, if present.
func (c Collection) Delete(e *btree.Edit, id string, log *Log) Collection {
	oldKey, ok := c.records.GetKey(id)
	if !ok {
		return c
	}
	old := index.RecordOfID(oldKey)
	log.add(oldKey, "")
	if len(c.indexes) > 0 {
		c.ownIndexes(e)
		var scratch [keyScratch]byte
		var endsArr [maxStackIndexes]int
		keys, ends := c.appendKeys(scratch[:0], endsArr[:0], id, old)
		start := 0
		for i := range c.indexes {
			c.indexes[i] = c.indexes[i].RemoveKey(e, view(keys[start:ends[i]]))
			start = ends[i]
		}
	}
	c.records, _ = c.records.Delete(e, id)
	return c
}

// CreateIndex adds an index and fills it from the records. It reports
// false (and returns c unchanged) when an index with the same spec key
// exists. Every record gets a new block holding its key in the new index
// too, so the record map and every index are rebuilt (bulk loads, with
// packed nodes, in O(n log n)).
func (c Collection) CreateIndex(e *btree.Edit, spec index.Spec) (Collection, bool) {
	if _, ok := c.Index(spec.Key()); ok {
		return c, false
	}
	specs := make([]index.Spec, 0, len(c.indexes)+1)
	for _, ix := range c.indexes {
		specs = append(specs, ix.Spec())
	}
	b := NewBuilder(append(specs, spec))
	c.Scan(func(id, rec string) bool {
		b.add(id, rec) // in id order: cannot fail
		return true
	})
	return b.Collection(), true
}

// DropIndex removes the index with the given spec key; it reports whether
// there was one. The records' blocks keep their keys in the dropped index
// until each record is written again.
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
// index specs, with bulk loads.
func FromRecords(records btree.Tree[string], specs []index.Spec) Collection {
	b := NewBuilder(specs)
	records.AscendAll(func(id, rec string) bool {
		b.add(id, rec)
		return true
	})
	return b.Collection()
}

// Compact returns the collection with the delta of its record map and of every index merged
// into their runs (btree.Set.Compact): the same records, keys and blocks.
func (c Collection) Compact() Collection {
	out := Collection{records: c.records.Compact(), indexes: make([]index.Index, len(c.indexes))}
	for i, ix := range c.indexes {
		out.indexes[i] = ix.Compact()
	}
	return out
}

// GetMany is Get of each of ids into recs (recs[i] is "" where ids[i] is
// missing; len(recs) >= len(ids)): the record map's keys found together
// (btree.Set.GetKeys), then their records (index.RecordsOfIDs), each in
// passes that let the cache misses of different ids overlap.
func (c Collection) GetMany(ids []string, recs []string) {
	c.records.GetKeys(ids, recs)
	index.RecordsOfIDs(recs[:len(ids)], recs)
}
