package fleetdb

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestClusterQueryBatch: a member's QueryBatch (an event loop's turn)
// takes linearizable gets, on every member, and answers them after
// Commit in their order, each seeing the writes acknowledged before it
// through any member (a get no index answers included); it declines
// writes, local reads and other queries, which StartQuery or Query run.
func TestClusterQueryBatch(t *testing.T) {
	dbs := openTestCluster(t, 3, nil)
	ctx := context.Background()
	for _, db := range dbs {
		if err := db.WaitReady(ctx); err != nil {
			t.Fatal(err)
		}
	}
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
