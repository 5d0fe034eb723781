package fleetdb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// TestClusterQueryBatch: a member's QueryBatch (an event loop's turn)
// takes linearizable gets, on every member, and answers them after
// Commit in their order, each seeing the writes acknowledged before it
// through any member (a get no index answers included); it declines
// writes, local reads and other queries, which StartQuery or Query run.
func TestClusterQueryBatch(t *testing.T) {
	dbs := openReadyCluster(t, 3)
	ctx := context.Background()
	type res struct {
		i   int
		out string
		err error
	}
	for i, db := range dbs {
		if _, err := db.Query(ctx, []byte(fmt.Sprintf(`["insert","t",{"id":%d,"k":"v%d"}]`, i, i))); err != nil {
			t.Fatal(err)
		}
		for j, other := range dbs {
			b := other.NewQueryBatch()
			reqs := []string{
				fmt.Sprintf(`["select","t",{"where":["=","id",%d]}]`, i),
				fmt.Sprintf(`["select","t",{"where":["=","k","v%d"]}]`, i), // no index: the general path
				fmt.Sprintf(`["select","t",{"where":["=","id",%d]},{"only":"k"}]`, i),
				`["select","t",{"where":["=","id",99]}]`,
			}
			want := []string{
				fmt.Sprintf(`[{"id":%d,"k":"v%d"}]`, i, i),
				fmt.Sprintf(`[{"id":%d,"k":"v%d"}]`, i, i),
				fmt.Sprintf(`["v%d"]`, i),
				`[]`,
			}
			ch := make(chan res, len(reqs))
			added := 0
			for k, q := range reqs {
				if b.Add(ctx, []byte(q), func(out []byte, err error) { ch <- res{k, string(out), err} }) {
					added++
				} else if k != 2 {
					t.Fatalf("n%d: batch declined %s", j+1, q)
				}
			}
			for _, q := range []string{`["insert","t",{"id":100}]`, `["count","t"]`, `["ping"]`} {
				if b.Add(ctx, []byte(q), func([]byte, error) { t.Errorf("%s answered through the batch", q) }) {
					t.Fatalf("batch took %s", q)
				}
			}
			if b.Add(WithReadConsistency(ctx, ReadLocal), []byte(reqs[0]), func([]byte, error) { t.Error("local get answered through the batch") }) {
				t.Fatal("batch took a local get")
			}
			select {
			case r := <-ch:
				t.Fatalf("answered before Commit: %+v", r)
			case <-time.After(20 * time.Millisecond):
			}
			b.Commit()
			next := 0
			for range added {
				select {
				case r := <-ch:
					if r.i < next {
						t.Fatalf("n%d after a write on n%d: answer %d after %d", j+1, i+1, r.i, next)
					}
					next = r.i + 1
					if r.err != nil || r.out != want[r.i] {
						t.Fatalf("n%d after a write on n%d: %s = %s, %v; want %s", j+1, i+1, reqs[r.i], r.out, r.err, want[r.i])
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("n%d: no answer", j+1)
				}
			}
			b.Commit() // empty: nothing
		}
	}
}

// TestClusterQueryBatchMany: a batch of 150 gets, more than one lookup
// holds (readsMax), reads by id of two collections interleaved (each run
// of one collection looked up together) with missing ids and reads that
// take the general path; every answer is right and they come in order, on
// the leader and on a follower.
func TestClusterQueryBatchMany(t *testing.T) {
	dbs := openReadyCluster(t, 3)
	ctx := context.Background()
	for i := range 40 {
		for _, coll := range []string{"t", "u"} {
			if _, err := dbs[0].Query(ctx, []byte(fmt.Sprintf(`["insert",%q,{"id":%d,"c":%q}]`, coll, i, coll))); err != nil {
				t.Fatal(err)
			}
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	var reqs, want []string
	for range 150 {
		coll := []string{"t", "u"}[rng.IntN(2)]
		id := rng.IntN(50)
		rec := fmt.Sprintf(`{"id":%d,"c":%q}`, id, coll)
		switch rng.IntN(6) {
		case 0: // no index on c: the general path
			reqs = append(reqs, fmt.Sprintf(`["select",%q,{"where":["=","c","none"]}]`, coll))
			want = append(want, `[]`)
		default:
			reqs = append(reqs, fmt.Sprintf(`["select",%q,{"where":["=","id",%d]}]`, coll, id))
			if id < 40 {
				want = append(want, "["+rec+"]")
			} else {
				want = append(want, `[]`)
			}
		}
	}
	for j, db := range dbs {
		b := db.NewQueryBatch()
		got := make([]string, 0, len(reqs))
		var mu sync.Mutex
		all := make(chan struct{})
		for k, q := range reqs {
			if !b.Add(ctx, []byte(q), func(out []byte, err error) {
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("n%d: %s: %v", j+1, reqs[k], err)
				}
				if len(got) != k {
					t.Errorf("n%d: answer %d came as answer %d", j+1, k, len(got))
				}
				got = append(got, string(out))
				if len(got) == len(reqs) {
					close(all)
				}
			}) {
				t.Fatalf("n%d: batch declined %s", j+1, q)
			}
		}
		b.Commit()
		select {
		case <-all:
		case <-time.After(10 * time.Second):
			t.Fatalf("n%d: not all answered", j+1)
		}
		for k := range reqs {
			if got[k] != want[k] {
				t.Fatalf("n%d: %s = %s, want %s", j+1, reqs[k], got[k], want[k])
			}
		}
	}
}
