package replication

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/query"
)

// TestSnapshotRoundTrip: writeSnapshot/readSnapshot keep the value (by
// hash), its Seq and the members; damaged snapshots are refused.
func TestSnapshotRoundTrip(t *testing.T) {
	txn := dbvalue.Empty().Begin()
	for _, w := range []string{
		`["insert","a",[{"id":1,"x":"one"},{"id":"two","y":[1,2]}]]`,
		`["create-index","a","x"]`,
		`["insert","b",{"id":3,"big":"` + string(bytes.Repeat([]byte("z"), 100<<10)) + `"}]`,
	} {
		if _, err := query.Apply(nil, txn, mustParse(t, w), nil); err != nil {
			t.Fatal(err)
		}
	}
	txn.SetSeq(42)
	v := txn.Commit()
	members := map[string]string{"n1": "127.0.0.1:3400", "n2": ""}
	var buf bytes.Buffer
	if err := writeSnapshot(&buf, v, members); err != nil {
		t.Fatal(err)
	}
	got, gotMembers, err := readSnapshot(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash() != v.Hash() || got.Seq != 42 || len(gotMembers) != 2 || gotMembers["n1"] != "127.0.0.1:3400" {
		t.Fatalf("round trip: seq %d members %v", got.Seq, gotMembers)
	}
	if err := got.Check(); err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{0, 10, len(snapMagic) + 3, buf.Len() / 2, buf.Len() - 1} {
		if _, _, err := readSnapshot(bytes.NewReader(buf.Bytes()[:cut])); err == nil {
			t.Errorf("snapshot cut at %d accepted", cut)
		}
	}
	if _, _, err := readSnapshot(bytes.NewReader(append(buf.Bytes(), 0))); err == nil {
		t.Errorf("trailing byte accepted")
	}
}

// TestSnapshotRestart: a node restarted after a snapshot restores it and
// replays the entries after it; the value is the same.
func TestSnapshotRestart(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	leader := c.waitLeader()
	for i := range 50 {
		c.mustWrite(leader, fmt.Sprintf(`["insert","t",{"id":%d}]`, i))
	}
	f := c.followers(leader)[0]
	c.waitConverged()
	if err := c.get(f).Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := 50; i < 60; i++ {
		c.mustWrite(leader, fmt.Sprintf(`["insert","t",{"id":%d}]`, i))
	}
	c.waitConverged()
	c.stop(f)
	c.start(f, false)
	if n := c.get(f).fsm.restores.Load(); n != 1 {
		t.Fatalf("restores at start = %d, want 1", n)
	}
	c.waitConverged()
	if got := c.mustRead(f, `["count","t"]`); got != "60" {
		t.Fatalf("count after restart = %s", got)
	}
}

// TestFarBehindFollower: a follower cut off while the leader logs many
// entries and compacts its log catches up by installing a snapshot.
func TestFarBehindFollower(t *testing.T) {
	c := newTestCluster(t, 3, func(cfg *Config) {
		cfg.TrailingLogs = 10
		cfg.SnapshotThreshold = 50
		cfg.SnapshotInterval = 50 * time.Millisecond
	})
	leader := c.waitLeader()
	lag := c.followers(leader)[0]
	c.net.Isolate(lag.addr)
	written := 0
	write := func(n int) {
		for range n {
			c.mustWrite(leader, fmt.Sprintf(`["insert","t",{"id":%d}]`, written))
			written++
		}
	}
	write(300)
	// Wait for every member but the lagging one to snapshot and truncate its
	// log past the lagging member's last entry: whichever of them leads after
	// the heal (the isolated member's elections may unseat the leader) must
	// then send a snapshot. Waiting for the leader alone failed once in CI
	// (the lagging member caught up from the other one's log, not yet
	// compacted), and so did waiting for a first index above 1 (CI, round
	// 15: a log compacted early, or a lagging member that had taken some of
	// the writes before its isolation took hold, left the entries it needed):
	// more writes move the compaction on until it passes them.
	lagLast, err := c.get(lag).logs.LastIndex()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, m := range append(c.followers(leader), leader) {
		if m == lag {
			continue
		}
		for {
			first, _ := c.get(m).raftLogFirstIndex()
			if first > lagLast+1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("member %s did not compact its log past index %d (first %d)", m.addr, lagLast, first)
			}
			write(20)
			time.Sleep(20 * time.Millisecond)
		}
	}
	c.net.Heal()
	c.waitConverged()
	if n := c.get(lag).fsm.restores.Load(); n < 1 {
		t.Fatalf("the lagging follower caught up without a snapshot (restores %d)", n)
	}
	if got := c.mustRead(lag, `["count","t"]`); got != fmt.Sprint(written) {
		t.Fatalf("count on the lagging follower = %s, want %d", got, written)
	}
}

// TestLeadershipTransfer: leadership moves to another voter, which then
// takes writes; the old leader forwards.
func TestLeadershipTransfer(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	old := c.waitLeader()
	c.mustWrite(old, `["insert","t",{"id":1}]`)
	if err := c.get(old).TransferLeadership(context.Background()); err != nil {
		t.Fatal(err)
	}
	nl := c.waitLeader()
	if nl == old {
		t.Fatal("leadership did not move")
	}
	c.mustWrite(old, `["insert","t",{"id":2}]`)
	if got := c.mustRead(nl, `["count","t"]`); got != "2" {
		t.Fatalf("count = %s", got)
	}
	if err := c.get(c.followers(nl)[0]).TransferLeadership(context.Background()); err == nil {
		t.Fatal("a follower transferred leadership")
	}
}

// TestMembership: nodes join through a follower (forwarded), show in every
// node's status with their client address, and leave; a removed leader
// steps down and the rest elect another.
func TestMembership(t *testing.T) {
	c := newTestCluster(t, 1, nil)
	first := c.nodes[0]
	for i := 2; i <= 4; i++ {
		tn := &testNode{id: fmt.Sprintf("n%d", i), addr: fmt.Sprintf("raft-%d", i)}
		c.nodes = append(c.nodes, tn)
		c.start(tn, false)
		via := c.nodes[len(c.nodes)-2] // the previous node: a follower from n3 on
		if err := c.get(via).Join(context.Background(), tn.id, tn.addr, "client-"+tn.id); err != nil {
			t.Fatalf("join %s via %s: %v", tn.id, via.id, err)
		}
	}
	c.mustWrite(c.nodes[3], `["insert","t",{"id":1}]`)
	c.waitConverged()
	for _, tn := range c.nodes {
		st := c.get(tn).Status()
		if len(st.Members) != 4 {
			t.Fatalf("%s sees %d members", tn.id, len(st.Members))
		}
	}
	// Remove a follower, then the leader itself.
	if err := c.get(c.nodes[1]).Remove(context.Background(), "n4"); err != nil {
		t.Fatal(err)
	}
	c.stop(c.nodes[3])
	c.nodes = c.nodes[:3]
	leader := c.waitLeader()
	if err := c.get(leader).Remove(context.Background(), leader.id); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.get(leader).isLeader() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	c.stop(leader)
	var rest []*testNode
	for _, tn := range c.nodes {
		if tn != leader {
			rest = append(rest, tn)
		}
	}
	c.nodes = rest
	nl := c.waitLeader()
	c.mustWrite(nl, `["insert","t",{"id":2}]`)
	st := c.get(nl).Status()
	if len(st.Members) != 2 {
		t.Fatalf("members after removals: %+v", st.Members)
	}
	for _, m := range st.Members {
		if m.ID == leader.id || m.ID == "n4" || m.ClientAddr == "" {
			t.Fatalf("members after removals: %+v", st.Members)
		}
	}
	_ = first
}

// TestNoLeader: with a majority down, writes and linearizable reads fail
// with ErrNoLeader after ApplyTimeout (nothing applied), local reads still
// work; once the majority is back the cluster serves again.
func TestNoLeader(t *testing.T) {
	c := newTestCluster(t, 3, func(cfg *Config) { cfg.ApplyTimeout = 400 * time.Millisecond })
	leader := c.waitLeader()
	c.mustWrite(leader, `["insert","t",{"id":1}]`)
	c.waitConverged()
	fs := c.followers(leader)
	c.stop(fs[0])
	c.stop(fs[1])
	// A write in flight when the leader steps down has an unknown outcome;
	// once no leader is known, a write waits ApplyTimeout and fails with
	// ErrNoLeader.
	if _, err := c.write(leader, `["insert","t",{"id":2}]`); err == nil || (!isNoLeader(err) && !isUnknown(err)) {
		t.Fatalf("write without a majority: %v", err)
	}
	for c.get(leader).isLeader() {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	if _, err := c.write(leader, `["insert","t",{"id":2}]`); !isNoLeader(err) {
		t.Fatalf("write without a leader: %v", err)
	}
	if d := time.Since(start); d < 350*time.Millisecond || d > 5*time.Second {
		t.Fatalf("write failed after %v, ApplyTimeout is 400ms", d)
	}
	if _, err := c.read(context.Background(), leader, `["count","t"]`); err == nil {
		t.Fatal("linearizable read without a majority succeeded")
	}
	ctx := query.WithReadConsistency(context.Background(), query.ReadLocal)
	if out, err := c.read(ctx, leader, `["count","t"]`); err != nil || (string(out) != "1" && string(out) != "2") {
		t.Fatalf("local read = %s, %v", out, err)
	}
	c.start(fs[0], false)
	c.start(fs[1], false)
	nl := c.waitLeader()
	c.mustWrite(nl, `["insert","t",{"id":3}]`)
	c.waitConverged()
}
