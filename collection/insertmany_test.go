package collection

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"

	"github.com/fleetdb-go/fleetdb/index"
	"github.com/fleetdb-go/fleetdb/internal/btree"
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
// a Runner may (go test -race checks that the tasks share nothing).
func goRunner(n int, task func(i int)) {
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
