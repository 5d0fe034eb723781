package fleetdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// openReadyCluster is openTestCluster without options, returning once
// every member is ready (WaitReady).
func openReadyCluster(t testing.TB, size int) []*DB {
	t.Helper()
	dbs := openTestCluster(t, size, nil)
	for _, db := range dbs {
		if err := db.WaitReady(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return dbs
}

// openTestCluster opens size members on 127.0.0.1 (real TCP, ports picked
// by the system) in this process: the first bootstraps, the others are
// added through it.
func openTestCluster(t testing.TB, size int, tune func(*Options)) []*DB {
	t.Helper()
	var dbs []*DB
	for i := range size {
		o := Options{Cluster: &ClusterOptions{
			NodeID:           fmt.Sprintf("n%d", i+1),
			RaftAddr:         "127.0.0.1:0",
			DataDir:          t.TempDir(),
			Bootstrap:        i == 0,
			HeartbeatTimeout: 300 * time.Millisecond,
			ElectionTimeout:  300 * time.Millisecond,
		}}
		if tune != nil {
			tune(&o)
		}
		db, err := Open(o)
		if err != nil {
			t.Fatalf("open n%d: %v", i+1, err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
		if i == 0 {
			waitClusterLeader(t, dbs)
			continue
		}
		st, _ := db.ClusterStatus()
		if err := dbs[0].ClusterJoin(context.Background(), st.NodeID, st.RaftAddr, ""); err != nil {
			t.Fatalf("join n%d: %v", i+1, err)
		}
	}
	return dbs
}

// waitClusterLeader waits until a member is the leader and returns it.
func waitClusterLeader(t testing.TB, dbs []*DB) *DB {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, db := range dbs {
			if db.closed.Load() {
				continue
			}
			if st, _ := db.ClusterStatus(); st.Role == "leader" {
				return db
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no leader within 10s")
	return nil
}

// TestClusterOpen: three members opened through the root package agree on
// the writes sent to any of them, read their own writes, show the cluster
// in info, refuse cluster queries' mistakes, and answer local reads.
func TestClusterOpen(t *testing.T) {
	ctx := context.Background()
	dbs := openTestCluster(t, 3, func(o *Options) {
		o.Commands = map[string]Command{"bump": bumpCommand}
	})
	for i, db := range dbs {
		q := fmt.Sprintf(`["insert","t",{"id":%d,"n":0}]`, i)
		if out, err := db.Query(ctx, []byte(q)); err != nil || string(out) != "1" {
			t.Fatalf("n%d: %s = %s, %v", i+1, q, out, err)
		}
		// Read your write through a local read on the same member.
		out, err := db.Query(WithReadConsistency(ctx, ReadLocal), []byte(fmt.Sprintf(`["count","t",{"where":["=","id",%d]}]`, i)))
		if err != nil || string(out) != "1" {
			t.Fatalf("n%d: local read of its own write = %s, %v", i+1, out, err)
		}
		if out, err := db.Query(ctx, []byte(`["call","bump",0]`)); err != nil || string(out) != fmt.Sprint(i+1) {
			t.Fatalf("n%d: call bump = %s, %v", i+1, out, err)
		}
	}
	if _, err := dbs[1].Query(ctx, []byte(`["insert","t",{"id":0}]`)); !errors.Is(err, ErrRefused) || !strings.HasPrefix(err.Error(), "Duplicated id: 0") {
		t.Fatalf("duplicate on a follower: %v", err)
	}
	for i, db := range dbs {
		out, err := db.Query(ctx, []byte(`["select","t",{"where":["=","id",0],"only":"n"}]`))
		if err != nil || string(out) != "[3]" {
			t.Fatalf("n%d: linearizable read = %s, %v", i+1, out, err)
		}
		info, err := db.Query(ctx, []byte(`["info"]`))
		if err != nil || !strings.Contains(string(info), `"cluster":{"node-id":"n`) || !strings.Contains(string(info), `"records":3`) {
			t.Fatalf("n%d: info = %s, %v", i+1, info, err)
		}
	}
	if out, err := dbs[2].Query(ctx, []byte(`["set-read-consistency","local"]`)); err != nil || string(out) != `"local"` {
		t.Fatalf("set-read-consistency = %s, %v", out, err)
	}
	if _, err := dbs[2].Query(ctx, []byte(`["set-read-consistency","fast"]`)); !errors.Is(err, ErrRefused) {
		t.Fatalf("bad set-read-consistency: %v", err)
	}
	standalone, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer standalone.Close()
	if _, err := standalone.Query(ctx, []byte(`["cluster-remove","n2"]`)); !errors.Is(err, ErrRefused) {
		t.Fatalf("cluster-remove on a standalone database: %v", err)
	}
	// Remove a follower through another follower (forwarded to the leader).
	leader := waitClusterLeader(t, dbs)
	var via, victim *DB
	for _, db := range dbs {
		switch {
		case db == leader:
		case via == nil:
			via = db
		default:
			victim = db
		}
	}
	if _, err := via.Query(ctx, []byte(`["cluster-remove","`+mustStatus(victim).NodeID+`"]`)); err != nil {
		t.Fatalf("cluster-remove: %v", err)
	}
	if got := len(mustStatus(via).Members); got != 2 {
		t.Fatalf("members after remove: %d", got)
	}
	if out, err := via.Query(ctx, []byte(`["insert","t",{"id":99}]`)); err != nil || string(out) != "1" {
		t.Fatalf("write after remove = %s, %v", out, err)
	}
}

func mustStatus(db *DB) ClusterStatus {
	st, _ := db.ClusterStatus()
	return st
}

// bumpCommand increments n of record 0: a user-defined command replicated
// by name and arguments.
func bumpCommand(tx *Tx, args []json.RawMessage) (any, error) {
	out, err := tx.Query(`["select","t",{"where":["=","id",0],"only":"n"}]`)
	if err != nil {
		return nil, err
	}
	var ns []int
	if err := json.Unmarshal(out, &ns); err != nil || len(ns) != 1 {
		return nil, fmt.Errorf("no record 0: %s", out)
	}
	n := ns[0] + 1
	if _, err := tx.Exec([]any{"update", "t", map[string]any{"n": n}, map[string]any{"where": []any{"=", "id", 0}}}); err != nil {
		return nil, err
	}
	return n, nil
}

// TestClusterOpenFailures: a member that cannot start returns its error
// (replication.Open used to panic in its deferred cleanup), and a member
// waiting to join stops when its context ends instead of retrying for a
// minute (what lets SIGTERM stop `fleetdb serve --join`).
func TestClusterOpenFailures(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, err = Open(Options{Cluster: &ClusterOptions{
		NodeID: "x", RaftAddr: busy.Addr().String(), DataDir: t.TempDir(), Bootstrap: true,
	}})
	if err == nil {
		t.Fatal("a member on a Raft address in use opened")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = OpenContext(ctx, Options{Cluster: &ClusterOptions{
		NodeID: "y", RaftAddr: "127.0.0.1:0", DataDir: t.TempDir(), Join: "127.0.0.1:1",
	}})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("join of an unreachable member: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("the join went on for %v after its context ended", took)
	}
}
