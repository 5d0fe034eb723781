package collection

import (
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/index"
	"github.com/fleetdb-go/fleetdb/internal/btree"
	"github.com/fleetdb-go/fleetdb/internal/gctest"
	"github.com/tidwall/gjson"
)

var (
	collSeed = flag.Uint64("collection.seed", 0, "seed of TestCollectionModel (0: random, printed)")
	collOps  = flag.Int("collection.ops", 1500, "number of changes in TestCollectionModel")
)

func spec(tb testing.TB, js string) index.Spec {
	tb.Helper()
	s, err := index.ParseSpec(gjson.Parse(js))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// check runs the consistency check and fails the test on an error.
func check(tb testing.TB, c Collection, what string) {
	tb.Helper()
	if err := c.Check(); err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
}

// dump renders everything a reader can see of a collection: the records in
// both scan orders and every index with all its keys.
func dump(c Collection) string {
	var b strings.Builder
	fmt.Fprintf(&b, "len %d\n", c.Len())
	c.Scan(func(id, rec string) bool {
		fmt.Fprintf(&b, "%x %s\n", id, rec)
		return true
	})
	var rev []string
	c.ScanReverse(func(id, _ string) bool {
		rev = append(rev, fmt.Sprintf("%x", id))
		return true
	})
	fmt.Fprintf(&b, "reverse %s\n", strings.Join(rev, " "))
	for _, ix := range c.Indexes() {
		fmt.Fprintf(&b, "index %s (%d)\n", ix.Spec().Raw(), ix.Len())
		ix.Keys(func(k string) bool {
			b.WriteString(hex.EncodeToString([]byte(k)))
			b.WriteByte('\n')
			return true
		})
	}
	return b.String()
}

func TestCollectionBasics(t *testing.T) {
	e := btree.NewEdit()
	var c Collection
	if !c.IsEmpty() || c.Len() != 0 {
		t.Fatal("the zero collection is not empty")
	}
	id := func(n int) string { return index.EncodeJSON(strconv.Itoa(n)) }
	c = c.Insert(e, id(1), `{"id":1,"a":5}`, nil)
	c = c.Insert(e, id(2), `{"id":2,"a":3}`, nil)
	check(t, c, "insert")
	c, ok := c.CreateIndex(e, spec(t, `"a"`))
	if !ok {
		t.Fatal("CreateIndex reported an existing index")
	}
	check(t, c, "create index")
	if _, again := c.CreateIndex(e, spec(t, `[["a","asc"]]`)); again {
		t.Fatal(`CreateIndex created [["a","asc"]] next to "a"`)
	}
	c, _ = c.CreateIndex(e, spec(t, `[["a","desc"],"id"]`))
	c = c.Put(e, id(2), `{"id":2,"a":9}`, nil)
	check(t, c, "put replaces")
	c = c.Put(e, id(3), `{"id":3}`, nil)
	check(t, c, "put inserts")
	c = c.Delete(e, id(1), nil)
	c = c.Delete(e, id(42), nil) // absent: nothing happens
	check(t, c, "delete")
	if c.Len() != 2 || c.Has(id(1)) || !c.Has(id(3)) {
		t.Fatalf("records: %s", dump(c))
	}
	if rec, _ := c.Get(id(2)); rec != `{"id":2,"a":9}` {
		t.Fatalf("Get(2) = %s", rec)
	}
	if _, ok := c.Index(spec(t, `["a"]`).Key()); !ok {
		t.Fatal("Index does not find the index by an equivalent spec")
	}
	c, ok = c.DropIndex(e, spec(t, `"a"`).Key())
	if !ok || len(c.Indexes()) != 1 {
		t.Fatal("DropIndex did not drop")
	}
	if _, ok = c.DropIndex(e, spec(t, `"a"`).Key()); ok {
		t.Fatal("DropIndex dropped twice")
	}
	check(t, c, "drop index")
	c = c.Delete(e, id(2), nil)
	c = c.Delete(e, id(3), nil)
	if c.IsEmpty() {
		t.Fatal("a collection with an index is empty")
	}
	c, _ = c.DropIndex(e, spec(t, `[["a","desc"],"id"]`).Key())
	if !c.IsEmpty() {
		t.Fatal("a collection without records and indexes is not empty")
	}
}

// TestCollectionModel applies random inserts, puts, deletes and index
// changes in batches, one edit token per batch (sometimes none), checks
// the collection after every change against a map, and checks that every
// value published at the end of a batch is unchanged by all later
// batches, which use other tokens.
func TestCollectionModel(t *testing.T) {
	seed := *collSeed
	if seed == 0 {
		seed = rand.Uint64()>>1 | 1
	}
	t.Logf("seed %d (replay with -collection.seed=%d)", seed, seed)
	r := rand.New(rand.NewPCG(seed, 7))
	values := []string{`null`, `true`, `false`, `0`, `-0`, `1`, `1.0`, `2.5`, `-3`, `9007199254740993`,
		`""`, `"a"`, `"a\u0000"`, `"é"`, `[]`, `[1]`, `{"x":1}`, `{"x":{"y":2}}`}
	specs := []string{`"a"`, `[["a","desc"]]`, `["a","b"]`, `[["b","desc"],"a"]`, `"n.x"`, `"id"`, `["a.x",["n.x","desc"]]`}
	type published struct {
		c    Collection
		dump string
	}
	var (
		c       Collection
		model   = map[string]string{}
		ixs     []string // spec keys in creation order
		history []published
	)
	record := func(n int) string {
		parts := []string{`"id":` + strconv.Itoa(n)}
		for _, k := range []string{"a", "b", "n"} {
			if r.IntN(4) > 0 {
				v := values[r.IntN(len(values))]
				if k == "n" && r.IntN(2) == 0 {
					v = `{"x":` + values[r.IntN(len(values))] + `}`
				}
				parts = append(parts, strconv.Quote(k)+":"+v)
			}
		}
		r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
		return "{" + strings.Join(parts, ",") + "}"
	}
	ops := 0
	for batch := 0; ops < *collOps; batch++ {
		var e *btree.Edit
		if r.IntN(5) > 0 {
			e = btree.NewEdit()
		}
		for n := 1 + r.IntN(20); n > 0; n-- {
			ops++
			num := r.IntN(300)
			id := index.EncodeJSON(strconv.Itoa(num))
			var what string
			switch x := r.IntN(100); {
			case x < 35:
				if _, ok := model[id]; ok {
					continue
				}
				rec := record(num)
				c = c.Insert(e, id, rec, nil)
				model[id] = rec
				what = "insert " + rec
			case x < 60:
				rec := record(num)
				c = c.Put(e, id, rec, nil)
				model[id] = rec
				what = "put " + rec
			case x < 85:
				c = c.Delete(e, id, nil)
				delete(model, id)
				what = "delete " + strconv.Itoa(num)
			case x < 93:
				s := spec(t, specs[r.IntN(len(specs))])
				var created bool
				c, created = c.CreateIndex(e, s)
				if created == slices.Contains(ixs, s.Key()) {
					t.Fatalf("seed %d: CreateIndex(%s) = %v with indexes %q", seed, s.Raw(), created, ixs)
				}
				if created {
					ixs = append(ixs, s.Key())
				}
				what = "create-index " + s.Raw()
			default:
				s := spec(t, specs[r.IntN(len(specs))])
				var dropped bool
				c, dropped = c.DropIndex(e, s.Key())
				i := slices.Index(ixs, s.Key())
				if dropped != (i >= 0) {
					t.Fatalf("seed %d: DropIndex(%s) = %v with indexes %q", seed, s.Raw(), dropped, ixs)
				}
				if dropped {
					ixs = slices.Delete(ixs, i, i+1)
				}
				what = "drop-index " + s.Raw()
			}
			check(t, c, fmt.Sprintf("seed %d, op %d (%s)", seed, ops, what))
			if c.Len() != len(model) || len(c.Indexes()) != len(ixs) {
				t.Fatalf("seed %d, op %d (%s): %d records and %d indexes, want %d and %d", seed, ops, what, c.Len(), len(c.Indexes()), len(model), len(ixs))
			}
			for i, ix := range c.Indexes() {
				if ix.Spec().Key() != ixs[i] {
					t.Fatalf("seed %d, op %d: index %d is %s", seed, ops, i, ix.Spec().Raw())
				}
			}
		}
		if batch%8 == 7 {
			// The indexes' runs hold their keys without keeping them
			// alive (btree, borrow.go): collect, write over what was
			// freed, and let the checks below read every key.
			gctest.Scribble(32, 48, 64, 80, 96, 112, 128)
		}
		// Every record of the model, nothing else, in id order.
		var ids []string
		c.Scan(func(id, rec string) bool {
			if model[id] != rec {
				t.Fatalf("seed %d, batch %d: record %x is %s, want %s", seed, batch, id, rec, model[id])
			}
			ids = append(ids, id)
			return true
		})
		if len(ids) != len(model) || !slices.IsSorted(ids) {
			t.Fatalf("seed %d, batch %d: scan gave %d ids (sorted %v), want %d", seed, batch, len(ids), slices.IsSorted(ids), len(model))
		}
		// The batch's token is dropped: the value is published. Earlier
		// published values must not have changed.
		for i, p := range history {
			if got := dump(p.c); got != p.dump {
				t.Fatalf("seed %d, batch %d: the value published after batch %d changed", seed, batch, i)
			}
		}
		if r.IntN(3) == 0 || len(history) < 4 {
			history = append(history, published{c, dump(c)})
			if len(history) > 8 {
				history = history[1:]
			}
		}
	}
}

// TestFromRecords checks that a collection built in bulk equals one built
// by inserts.
func TestFromRecords(t *testing.T) {
	var c Collection
	e := btree.NewEdit()
	var b btree.Builder[string]
	for i := 0; i < 500; i++ {
		id := index.EncodeJSON(strconv.Itoa(i))
		rec := fmt.Sprintf(`{"id":%d,"a":%d,"b":"%c"}`, i, i%7, 'a'+rune(i%5))
		c = c.Insert(e, id, rec, nil)
		if err := b.Add(id, rec); err != nil {
			t.Fatal(err)
		}
	}
	specs := []index.Spec{spec(t, `"a"`), spec(t, `[["b","desc"],"a"]`), spec(t, `["a"]`)}
	for _, s := range specs {
		c, _ = c.CreateIndex(e, s)
	}
	bulk := FromRecords(b.Tree(), specs)
	check(t, bulk, "FromRecords")
	if dump(bulk) != dump(c) {
		t.Fatal("FromRecords differs from inserts")
	}
}
