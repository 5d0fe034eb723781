package fleetdb

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/client"
)

// TestClusterRestartReady: three member processes; each follower in turn
// is killed with SIGKILL, stays away while the leader takes writes (11 s
// by default, FLEETDB_TEST_AWAY to change: long enough for raft's
// replication back-off to reach its maximum of 10.24 s), and is restarted
// on its data directory. Right after its ready line, a write and then a
// linearizable count, each on a fresh connection, answer correctly within
// a second.
func TestClusterRestartReady(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process cluster test")
	}
	away := 11 * time.Second
	if s := os.Getenv("FLEETDB_TEST_AWAY"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatal(err)
		}
		away = d
	}
	pc := startProcCluster(t, 3, nil)
	leader := pc.leader(10 * time.Second)
	if leader == nil {
		t.Fatal("no leader")
	}
	written := 0
	insert := func(n *procNode) error {
		_, err := pc.query(n, []any{"insert", "t", map[string]any{"id": written}})
		if err == nil {
			written++
		}
		return err
	}
	fresh := func(n *procNode, q any) (string, time.Duration, error) {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cl, err := client.Dial(ctx, n.spec.ClientAddr, client.WithPoolSize(1))
		if err != nil {
			return "", time.Since(start), err
		}
		defer cl.Close()
		out, err := cl.Query(ctx, q)
		return string(out), time.Since(start), err
	}
	for _, victim := range pc.nodes {
		if victim == leader {
			continue
		}
		pc.kill(victim)
		for deadline := time.Now().Add(away); time.Now().Before(deadline); {
			if err := insert(leader); err != nil {
				t.Fatalf("insert on the leader while %s is away: %v", victim.spec.ID, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		start := time.Now()
		pc.start(victim) // returns at its ready line
		readyAfter := time.Since(start)
		out, took, err := fresh(victim, []any{"insert", "t", map[string]any{"id": written}})
		if err != nil || out != "1" || took > time.Second {
			t.Fatalf("%s: first write after restart = %s, %v after %v", victim.spec.ID, out, err, took)
		}
		written++
		out, took2, err := fresh(victim, []any{"count", "t"})
		if err != nil || out != fmt.Sprint(written) || took2 > time.Second {
			t.Fatalf("%s: first count after restart = %s (want %d), %v after %v", victim.spec.ID, out, written, err, took2)
		}
		t.Logf("%s away %v: ready %v after start; first write %v, first count %v", victim.spec.ID, away, readyAfter.Round(time.Millisecond),
			took.Round(time.Millisecond), took2.Round(time.Millisecond))
	}
	pc.waitSame(30 * time.Second)
}
