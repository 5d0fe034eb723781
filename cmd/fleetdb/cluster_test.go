package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/admin"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
)

// TestServeClusterUsage: serve refuses cluster flags mixed with the log
// file's flags, and incomplete or contradictory cluster flags, with exit
// status 2 and before listening or opening anything.
func TestServeClusterUsage(t *testing.T) {
	dir := t.TempDir()
	member := []string{"--node-id", "n1", "--raft-addr", "127.0.0.1:0", "--data-dir", dir}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{append([]string{"serve", "-f", "x.fdb"}, member...), "-f"},
		{append([]string{"serve", "--file=x.fdb", "--bootstrap"}, member...), "cannot be used with the cluster flags"},
		{append([]string{"serve", "-e"}, member...), "--ephemeral"},
		{append([]string{"serve", "--fsync", "never"}, member...), "--fsync"},
		{append([]string{"serve", "--auto-compact", "2"}, member...), "--auto-compact"},
		{[]string{"serve", "--node-id", "n1"}, "--raft-addr, --data-dir missing"},
		{[]string{"serve", "--bootstrap"}, "--node-id, --raft-addr, --data-dir missing"},
		{[]string{"serve", "--join", "127.0.0.1:3400", "--node-id", "n1", "--raft-addr", "127.0.0.1:0"}, "; --data-dir missing"},
		{append([]string{"serve", "--bootstrap", "--join", "127.0.0.1:3400"}, member...), "exclude each other"},
		{append([]string{"serve", "--join", "127.0.0.1"}, member...), "--join"},
		{[]string{"serve", "--node-id", "n1", "--raft-addr", "4400", "--data-dir", dir}, "--raft-addr"},
		{append([]string{"serve", "--snapshot-interval", "-1s"}, member...), "must not be negative"},
	} {
		code, _, stderr := runCmd(t, context.Background(), tc.args...)
		if strings.Contains(stderr, "fleetdb: fleetdb:") || strings.Contains(stderr, "ClusterOptions") {
			t.Errorf("%v: the message doubles its prefix or names a Go field: %s", tc.args, stderr)
		}
		if code != cliutil.ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want %d and %q in\n%s", tc.args, code, cliutil.ExitUsage, tc.want, stderr)
		}
	}
}

// clusterServe is serveConfig for a one-member cluster on 127.0.0.1.
func clusterServe(t testing.TB, dataDir, raftAddr string) serveConfig {
	cfg := defaultServe()
	cfg.logLevel = "warn"
	cfg.cluster = clusterFlags{nodeID: "n1", raftAddr: raftAddr, dataDir: dataDir, bootstrap: true}
	return cfg
}

// waitLeader polls cluster status until the member at port leads.
func waitLeader(t testing.TB, port string) admin.ClusterStatus {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, out, stderr := runAdmin(t, adminRun{}, "cluster", "status", "-p", port, "--json")
		var st admin.ClusterStatus
		if code != 0 {
			t.Fatalf("cluster status: exit %d\n%s%s", code, out, stderr)
		}
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("cluster status --json: %v\n%s", err, out)
		}
		if st.Role == "leader" {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("no leader within 15 s: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestClusterOneMember serves a one-member cluster in-process: cluster
// status (JSON and table), the read consistency of a connection, join and
// remove refusals, and a restart from the data dir with the same flags.
func TestClusterOneMember(t *testing.T) {
	dir := t.TempDir()
	raftAddr := "127.0.0.1:" + freePort(t)
	cfg := clusterServe(t, dir, raftAddr)
	addr, stop := startServe(t, cfg)
	_, port, _ := net.SplitHostPort(addr)
	st := waitLeader(t, port)
	if st.NodeID != "n1" || st.Leader != "n1" || st.RaftAddr != raftAddr || len(st.Members) != 1 {
		t.Fatalf("status: %+v", st)
	}
	if m := st.Members[0]; m.ID != "n1" || m.RaftAddr != raftAddr || m.ClientAddr != addr || m.Suffrage != "voter" ||
		m.Reachable == nil || !*m.Reachable || m.LastContactMsAgo == nil {
		t.Fatalf("member: %+v", m)
	}

	ctx := context.Background()
	c, err := client.Dial(ctx, addr, client.WithPoolSize(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Insert(ctx, "p", map[string]any{"id": 1}); err != nil {
		t.Fatal(err)
	}
	for _, level := range []string{"local", "linearizable"} {
		if v, err := c.Query(ctx, []any{"set-read-consistency", level}); err != nil || string(v) != `"`+level+`"` {
			t.Fatalf("set-read-consistency %s: %s, %v", level, v, err)
		}
		if n, err := c.Count(ctx, "p", nil); err != nil || n != 1 {
			t.Fatalf("count at %s: %d, %v", level, n, err)
		}
	}

	// The table a person sees.
	code, out, stderr := runAdmin(t, adminRun{tty: true}, "cluster", "status", "-p", port)
	if code != 0 {
		t.Fatalf("cluster status: exit %d\n%s%s", code, out, stderr)
	}
	for _, want := range []string{"role", "leader", "term", "commit index", "applied index", raftAddr, addr, "voter", "leader, this member", "(1 member)"} {
		if !strings.Contains(out, want) {
			t.Errorf("cluster status table lacks %q:\n%s", want, out)
		}
	}

	// A join whose Raft address is another member's is not carried out;
	// a removal of a node that is no member changes nothing.
	code, _, stderr = runAdmin(t, adminRun{}, "cluster", "join", "n9", raftAddr, "127.0.0.9:3400", "-p", port)
	if code == 0 || !strings.Contains(stderr, "belongs to member n1") {
		t.Errorf("join with n1's raft address: exit %d\n%s", code, stderr)
	}
	code, out, stderr = runAdmin(t, adminRun{}, "cluster", "remove", "n9", "-p", port)
	if code != 0 || strings.TrimSpace(out) != `{"id":"n9","removed":true}` {
		t.Errorf("remove n9: exit %d\n%s%s", code, out, stderr)
	}
	if st := waitLeader(t, port); len(st.Members) != 1 {
		t.Errorf("members after removing n9: %+v", st.Members)
	}

	// Restarted with the same flags (--bootstrap is ignored once the data
	// dir has state), the member has its data.
	c.Close()
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	addr, _ = startServe(t, cfg)
	_, port, _ = net.SplitHostPort(addr)
	waitLeader(t, port)
	c2, err := client.Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if n, err := c2.Count(ctx, "p", nil); err != nil || n != 1 {
		t.Fatalf("count after restart: %d, %v", n, err)
	}
}

// TestClusterStatusStandalone: against a server that is not a cluster
// member, cluster status says so (exit 1) and join is refused (exit 3).
func TestClusterStatusStandalone(t *testing.T) {
	port, _ := testServer(t, "")
	code, _, stderr := runAdmin(t, adminRun{}, "cluster", "status", "-p", port)
	if code != cliutil.ExitFailure || !strings.Contains(stderr, "not a cluster member") {
		t.Errorf("status: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runAdmin(t, adminRun{}, "cluster", "join", "n2", "127.0.0.2:4400", "127.0.0.2:3400", "-p", port)
	if code != cliutil.ExitRefused || !strings.Contains(stderr, "not a cluster member") {
		t.Errorf("join: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runAdmin(t, adminRun{}, "cluster", "remove", "-p", port)
	if code != cliutil.ExitUsage {
		t.Errorf("remove without an id: exit %d\n%s", code, stderr)
	}
}

func TestRenderClusterStatus(t *testing.T) {
	out := admin.RenderClusterStatus(admin.ClusterStatus{
		NodeID: "n2", Role: "follower", Term: 7, CommitIndex: 120, AppliedIndex: 118,
		Members: []admin.ClusterMember{
			{ID: "n1", RaftAddr: "127.0.0.1:4400", ClientAddr: "127.0.0.1:3400", Suffrage: "voter"},
			{ID: "n2", RaftAddr: "127.0.0.2:4400", ClientAddr: "127.0.0.2:3400", Suffrage: "voter"},
			{ID: "n3", RaftAddr: "127.0.0.3:4400", Suffrage: "nonvoter"},
		},
	}, nil, errors.New("no leader known"))
	for _, want := range []string{"follower", "(none known)", "120", "118", "this member", "nonvoter", "(3 members (reachability unknown: no leader known))"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "leader,") {
		t.Errorf("no leader is known, yet one is marked:\n%s", out)
	}

	// With the leader's view: who it reaches, when it last heard.
	yes, no := true, false
	ms := func(v int64) *int64 { return &v }
	leader := admin.ClusterStatus{NodeID: "n1", Role: "leader", Leader: "n1", Members: []admin.ClusterMember{
		{ID: "n1", Reachable: &yes, LastContactMsAgo: ms(0)},
		{ID: "n2", Reachable: &yes, LastContactMsAgo: ms(40)},
		{ID: "n3", Reachable: &no, LastContactMsAgo: ms(12500), LastError: "dial tcp 127.0.0.3:4400: connection refused"},
	}}
	st := leader
	st.NodeID, st.Role = "n2", "follower"
	out = admin.RenderClusterStatus(st, &leader, nil)
	for _, want := range []string{"leader reaches it", "leader last heard", "40ms ago", "NO: dial tcp 127.0.0.3:4400: connection refused", "12.5s ago"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}
