package replication

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// TestReturningMemberCatchesUpPromptly: a follower that was away long
// enough for raft's replication back-off to grow to seconds (down for 6 s:
// raft would wait up to 5.12 s before its next attempt) is ready within a
// second of its return, and its first write and linearizable read answer
// within a second too. Once as a network partition that heals, once as a
// restart on its state.
func TestReturningMemberCatchesUpPromptly(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out a long absence")
	}
	away := 6 * time.Second
	if s := os.Getenv("FLEETDB_TEST_AWAY"); s != "" {
		away, _ = time.ParseDuration(s)
	}
	c := newTestCluster(t, 3, nil)
	leader := c.waitLeader()
	c.mustWrite(leader, `["insert","t",{"id":0}]`)
	c.waitConverged()
	f := c.followers(leader)[0]
	ids := 1
	writeAway := func() {
		t.Helper()
		deadline := time.Now().Add(away)
		for time.Now().Before(deadline) {
			c.mustWrite(leader, fmt.Sprintf(`["insert","t",{"id":%d}]`, ids))
			ids++
			time.Sleep(50 * time.Millisecond)
		}
	}
	firstQueries := func(how string) {
		t.Helper()
		start := time.Now()
		out, err := c.write(f, fmt.Sprintf(`["insert","t",{"id":%d}]`, ids))
		if err != nil || string(out) != "1" {
			t.Fatalf("%s: first write on the returning member: %s, %v after %v", how, out, err, time.Since(start))
		}
		ids++
		if d := time.Since(start); d > time.Second {
			t.Fatalf("%s: first write took %v", how, d)
		}
		start = time.Now()
		if got := c.mustRead(f, `["count","t"]`); got != fmt.Sprint(ids) {
			t.Fatalf("%s: count on the returning member = %s, want %d", how, got, ids)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("%s: first read took %v", how, d)
		}
	}

	// A partition: the follower is cut off, the others go on.
	c.net.Isolate(f.addr)
	writeAway()
	c.net.Heal()
	firstQueries("after a partition")

	// A restart: the follower closes, the others go on, it opens again on
	// its state and says it is ready within a second.
	c.stop(f)
	writeAway()
	start := time.Now()
	c.start(f, false)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.get(f).WaitReady(ctx); err != nil {
		t.Fatalf("not ready after %v: %v", time.Since(start), err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("ready after %v", d)
	}
	if st := c.get(f).Status(); !st.Ready || st.Leader == "" {
		t.Fatalf("status of a ready member: %+v", st)
	}
	firstQueries("after a restart")
	c.waitConverged()
}
