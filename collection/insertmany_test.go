package collection

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/fleetdb-go/fleetdb/index"
	"github.com/fleetdb-go/fleetdb/internal/btree"
	"github.com/tidwall/gjson"
)

// TestInsertMany checks that a batch inserted with InsertMany (keys sorted
// per tree) gives the collection that one Insert per record gives, for
// batches below and above the sizes it starts sorting and splitting over
// goroutines at, with and without
// indexes, under a token and persistently; and that the collection it
// started from is unchanged.
func TestInsertMany(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 5))
	specs := []index.Spec{spec(t, `"a"`), spec(t, `[["b","desc"],"a"]`), spec(t, `"c"`)}
	for _, nIdx := range []int{0, 1, 3} {
		for k, e := range []*btree.Edit{nil, btree.NewEdit(), nil, btree.NewEdit()} {
			var run Runner
			if k >= 2 {
				run = goRunner // the tasks of a large batch on goroutines
			}
			var one, many Collection
			for _, s := range specs[:nIdx] {
				one, _ = one.CreateIndex(e, s)
				many, _ = many.CreateIndex(e, s)
			}
			next := 0
			for _, n := range []int{1, minSortedBatch - 1, minSortedBatch, 200, minParallelBatch, 1000, 1 + r.IntN(700)} {
				ids := make([]string, n)
				recs := make([]string, n)
				for i := range n {
					// Ids ascending and random, so that batches land in
					// the middle of the tree as well as at its end.
					v := next
					if r.IntN(2) == 0 {
						v = 1_000_000 + r.IntN(1_000_000_000)
					}
					next++
					ids[i] = index.EncodeJSON(strconv.Itoa(v))
					recs[i] = fmt.Sprintf(`{"id":%d,"a":%d,"b":"%c","c":[%d]}`, v, r.IntN(9), 'a'+rune(r.IntN(5)), r.IntN(3))
				}
				// Random ids may repeat: keep the first of each.
				seen := map[string]bool{}
				var bi, br []string
				for i := range ids {
					if _, dup := one.Get(ids[i]); dup || seen[ids[i]] {
						continue
					}
					seen[ids[i]] = true
					bi, br = append(bi, ids[i]), append(br, recs[i])
				}
				before, beforeDump := many, dump(many)
				for i := range bi {
					one = one.Insert(e, bi[i], br[i], nil)
				}
				batch := make([]Record, len(bi))
				for i := range bi {
					batch[i] = Record{ID: bi[i], JSON: br[i]}
				}
				many = many.InsertMany(e, batch, run, nil)
				what := fmt.Sprintf("%d indexes, edit %v, runner %v, batch of %d", nIdx, e != nil, run != nil, len(bi))
				check(t, many, what)
				if dump(many) != dump(one) {
					t.Fatalf("%s: InsertMany differs from Inserts", what)
				}
				if e == nil && dump(before) != beforeDump {
					t.Fatalf("%s: a persistent InsertMany changed the collection it started from", what)
				}
			}
		}
	}
}

// goRunner runs every task on a goroutine of its own, as concurrently as
// a Runner may (go test -race checks that the tasks share nothing), and
// says each took i+1 ns, so that the trees' order changes between batches.
func goRunner(n int, task func(i int), took []int64) {
	if took != nil {
		for i := range took {
			took[i] = int64(i + 1)
		}
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			task(i)
		}()
	}
	wg.Wait()
}

// TestTreeCostsOrder: without costs (or with costs of other trees) the
// indexes come first and the record map last; with them, the costliest
// first, ties in tree order.
func TestTreeCostsOrder(t *testing.T) {
	var none *treeCosts
	for _, c := range []struct {
		tc   *treeCosts
		n    int
		want []int
	}{
		{none, 1, []int{0}},
		{none, 4, []int{1, 2, 3, 0}},
		{&treeCosts{perKey: []float32{1, 2}}, 4, []int{1, 2, 3, 0}},
		{&treeCosts{perKey: []float32{5, 1, 9, 1}}, 4, []int{2, 0, 1, 3}},
	} {
		if got := c.tc.order(nil, c.n); !slices.Equal(got, c.want) {
			t.Errorf("order(%v, %d) = %v, want %v", c.tc, c.n, got, c.want)
		}
	}
}

// TestInsertManyKeepsTreeCosts: the times a Runner reports for the trees
// of one large insert order the next one's; an insert the Runner did not
// run (too small to hand out) keeps them.
func TestInsertManyKeepsTreeCosts(t *testing.T) {
	var c Collection
	for _, s := range []string{`"a"`, `"b"`, `"c"`} {
		spec, err := index.ParseSpec(gjson.Parse(s))
		if err != nil {
			t.Fatal(err)
		}
		c, _ = c.CreateIndex(nil, spec)
	}
	batch := func(from, n int) []Record {
		recs := make([]Record, n)
		for i := range recs {
			id := from + i
			recs[i] = Record{ID: index.EncodeValue(gjson.Parse(strconv.Itoa(id))), JSON: fmt.Sprintf(`{"id":%d,"a":%d,"b":"x%d","c":%d}`, id, -id, id, id%7)}
		}
		return recs
	}
	// The first large insert goes in the default order, 1 2 3 0, and
	// goRunner says task x took x+1 ns: the record map was costliest.
	c = c.InsertMany(nil, batch(0, minParallelBatch), goRunner, nil)
	if got := c.costs.order(nil, 4); !slices.Equal(got, []int{0, 3, 2, 1}) {
		t.Fatalf("after one insert: order %v", got)
	}
	c = c.InsertMany(nil, batch(minParallelBatch, minSortedBatch), goRunner, nil)
	if got := c.costs.order(nil, 4); !slices.Equal(got, []int{0, 3, 2, 1}) {
		t.Fatalf("after a small insert: order %v", got)
	}
	c = c.InsertMany(nil, batch(2*minParallelBatch, minParallelBatch), goRunner, nil)
	if got := c.costs.order(nil, 4); !slices.Equal(got, []int{1, 2, 3, 0}) {
		t.Fatalf("after a second large insert: order %v", got)
	}
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	if c.Len() != 2*minParallelBatch+minSortedBatch {
		t.Fatalf("%d records", c.Len())
	}
}

// TestHasAny: ascending ids, in batches longer than one lookup batch, below,
// among and past the collection's, and against an empty collection.
func TestHasAny(t *testing.T) {
	enc := func(i int) string { return index.EncodeValue(gjson.Parse(strconv.Itoa(i))) }
	ids := func(lo, hi, step int) []string {
		var s []string
		for i := lo; i < hi; i += step {
			s = append(s, enc(i))
		}
		return s
	}
	var c Collection
	if c.HasAny(ids(0, 10, 1)) || c.HasAny(nil) {
		t.Fatal("an empty collection has ids")
	}
	for i := 0; i < 1000; i += 2 { // the even ids below 1,000
		c = c.Insert(nil, enc(i), fmt.Sprintf(`{"id":%d}`, i), nil)
	}
	for _, tc := range []struct {
		ids  []string
		want bool
	}{
		{ids(1, 1000, 2), false},                 // every odd id: 500 lookups
		{append(ids(1, 301, 2), enc(400)), true}, // the last of 151
		{ids(998, 1100, 1), true},                // the last id, then past it
		{ids(999, 1100, 1), false},               // all past the last
		{append(ids(-200, 0, 1), enc(0)), true},  // below, then the first
		{ids(-200, 0, 1), false},                 // all below
	} {
		if got := c.HasAny(tc.ids); got != tc.want {
			t.Errorf("HasAny(%d ids) = %v, want %v", len(tc.ids), got, tc.want)
		}
	}
}
