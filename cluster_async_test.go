package fleetdb

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestClusterStartQuery: on every member StartQuery starts writes and gets
// (answered through done, as Query would answer them, a get seeing the
// writes acknowledged before it on any member), falls back to the general
// path for a get no index answers, keeps local reads local, and declines
// what Query must run.
func TestClusterStartQuery(t *testing.T) {
	dbs := openReadyCluster(t, 3)
	ctx := context.Background()
	// A member declines while it knows no leader (an election under a
	// loaded test machine): the server would run Query then, and so does
	// start; most must have been started.
	started, declined := 0, 0
	start := func(db *DB, ctx context.Context, q string) (string, error) {
		t.Helper()
		type res struct {
			out []byte
			err error
		}
		ch := make(chan res, 1)
		if !db.StartQuery(ctx, []byte(q), func(out []byte, err error) { ch <- res{out, err} }) {
			declined++
			out, err := db.Query(ctx, []byte(q))
			return string(out), err
		}
		started++
		select {
		case r := <-ch:
			return string(r.out), r.err
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no answer", q)
		}
		return "", nil
	}
	for i, db := range dbs {
		q := fmt.Sprintf(`["insert","t",{"id":%d,"k":"v%d"}]`, i, i)
		if out, err := start(db, ctx, q); err != nil || out != "1" {
			t.Fatalf("n%d: %s = %s, %v", i+1, q, out, err)
		}
		// Every member reads every acknowledged write at once.
		for j, other := range dbs {
			get := fmt.Sprintf(`["select","t",{"where":["=","id",%d]}]`, i)
			want := fmt.Sprintf(`[{"id":%d,"k":"v%d"}]`, i, i)
			if out, err := start(other, ctx, get); err != nil || out != want {
				t.Fatalf("n%d after a write on n%d: %s = %s, %v; want %s", j+1, i+1, get, out, err, want)
			}
			// No index on k: the general path.
			byK := fmt.Sprintf(`["select","t",{"where":["=","k","v%d"]}]`, i)
			if out, err := start(other, ctx, byK); err != nil || out != want {
				t.Fatalf("n%d: %s = %s, %v; want %s", j+1, byK, out, err, want)
			}
		}
	}
	if out, err := start(dbs[1], WithReadConsistency(ctx, ReadLocal), `["select","t",{"where":["=","id",0]}]`); err != nil || out != `[{"id":0,"k":"v0"}]` {
		t.Fatalf("local get = %s, %v", out, err)
	}
	if _, err := start(dbs[2], ctx, `["insert","t",{"id":0}]`); err == nil || !strings.Contains(err.Error(), "Duplicated id: 0") {
		t.Fatalf("a duplicate id started through a follower: %v, want Duplicated id: 0", err)
	}
	if out, err := start(dbs[0], ctx, `["select","t",{"where":["=","id",0]}]`); err != nil || out != `[{"id":0,"k":"v0"}]` {
		t.Fatalf("after the refused duplicate: %s, %v; want the record unchanged", out, err)
	}
	if started < 3*declined {
		t.Fatalf("%d queries started, %d declined", started, declined)
	}
	for _, q := range []string{`["count","t"]`, `["ping"]`, `["set-read-consistency","local"]`, `not json`} {
		if dbs[1].StartQuery(ctx, []byte(q), func([]byte, error) { t.Errorf("%s answered through done", q) }) {
			t.Fatalf("%s started; Query must run it", q)
		}
	}
}
