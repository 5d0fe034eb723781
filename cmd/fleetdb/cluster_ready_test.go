package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/admin"
)

// TestClusterRestartAfterKill runs three `fleetdb serve` processes on
// 127.0.0.1-3. Each follower in turn is killed with SIGKILL and stays away
// while the leader takes writes (11 s by default, FLEETDB_TEST_AWAY to
// change: long enough for raft's replication back-off to reach its
// 10.24 s maximum); meanwhile `cluster status`, asked of the other
// follower, shows that the leader cannot reach it. Restarted with the
// same command, it logs its ready line, and right after it a write and
// then a linearizable count, each on a fresh connection, answer correctly
// within a second, and /healthz answers 200.
func TestClusterRestartAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three server processes")
	}
	away := 11 * time.Second
	if s := os.Getenv("FLEETDB_TEST_AWAY"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatal(err)
		}
		away = d
	}
	dir := t.TempDir()
	nodes := make([]*memberNode, 3)
	metrics := make([]string, 3)
	for i := range nodes {
		host := fmt.Sprintf("127.0.0.%d", i+1)
		nodes[i] = &memberNode{
			id: fmt.Sprintf("n%d", i+1), host: host,
			clientAddr: freeAddrOn(t, host), raftAddr: freeAddrOn(t, host),
			dataDir: filepath.Join(dir, fmt.Sprintf("n%d", i+1)),
		}
		metrics[i] = freeAddrOn(t, host)
	}
	argsOf := func(i int) []string {
		extra := []string{"--join", nodes[0].clientAddr, "--metrics", metrics[i]}
		if i == 0 {
			extra = []string{"--bootstrap", "--metrics", metrics[i]}
		}
		return nodes[i].args(extra...)
	}
	for i, n := range nodes {
		n.proc = startServeProc(t, n.id, argsOf(i)...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, n := range nodes {
		n.proc.waitReady(t, 30*time.Second)
	}
	var leader *memberNode
	for deadline := time.Now().Add(15 * time.Second); leader == nil && time.Now().Before(deadline); {
		for _, n := range nodes {
			c, err := client.Dial(ctx, n.clientAddr, client.WithPoolSize(1))
			if err != nil {
				continue
			}
			_, st, err := admin.FetchClusterStatus(ctx, c)
			c.Close()
			if err == nil && st.Role == "leader" && len(st.Members) == 3 {
				leader = n
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if leader == nil {
		t.Fatal("no leader of 3 members within 15 s")
	}
	lc, err := client.Dial(ctx, leader.clientAddr, client.WithPoolSize(1))
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	written := 0
	fresh := func(n *memberNode, q any) (string, time.Duration, error) {
		start := time.Now()
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		c, err := client.Dial(qctx, n.clientAddr, client.WithPoolSize(1))
		if err != nil {
			return "", time.Since(start), err
		}
		defer c.Close()
		out, err := c.Query(qctx, q)
		return string(out), time.Since(start), err
	}
	for i, victim := range nodes {
		if victim == leader {
			continue
		}
		var other *memberNode
		for _, n := range nodes {
			if n != leader && n != victim {
				other = n
			}
		}
		victim.proc.cmd.Process.Kill()
		victim.proc.cmd.Wait()
		for deadline := time.Now().Add(away); time.Now().Before(deadline); {
			if _, err := lc.Insert(ctx, "t", map[string]any{"id": written}); err != nil {
				t.Fatalf("insert on the leader while %s is away: %v", victim.id, err)
			}
			written++
			time.Sleep(20 * time.Millisecond)
		}
		// cluster status, asked of the other follower, shows the leader's
		// view: the victim is unreachable, the others answer.
		port := other.clientAddr[strings.LastIndexByte(other.clientAddr, ':')+1:]
		code, out, stderr := runCmd(t, ctx, "cluster", "status", "--host", other.host, "--port", port)
		if code != 0 {
			t.Fatalf("cluster status: exit %d\n%s%s", code, out, stderr)
		}
		for _, line := range strings.Split(out, "\n") {
			fields := strings.Fields(line)
			if len(fields) < 5 || (fields[0] != leader.id && fields[0] != victim.id && fields[0] != other.id) {
				continue
			}
			unreachable := strings.Contains(line, " NO")
			if unreachable != (fields[0] == victim.id) {
				t.Fatalf("cluster status with %s killed:\n%s", victim.id, out)
			}
		}

		start := time.Now()
		victim.proc = startServeProc(t, victim.id+"-restarted", argsOf(i)...)
		victim.proc.waitReady(t, 30*time.Second)
		readyAfter := time.Since(start)
		out, took, err := fresh(victim, []any{"insert", "t", map[string]any{"id": written}})
		if err != nil || out != "1" || took > time.Second {
			t.Fatalf("%s: first write after its ready line = %s, %v after %v", victim.id, out, err, took)
		}
		written++
		out, took2, err := fresh(victim, []any{"count", "t"})
		if err != nil || out != fmt.Sprint(written) || took2 > time.Second {
			t.Fatalf("%s: first count after its ready line = %s (want %d), %v after %v", victim.id, out, written, err, took2)
		}
		resp, err := http.Get("http://" + metrics[i] + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: /healthz after the ready line: %s", victim.id, resp.Status)
		}
		t.Logf("%s away %v: ready line %v after start; first write %v, first count %v", victim.id, away,
			readyAfter.Round(time.Millisecond), took.Round(time.Millisecond), took2.Round(time.Millisecond))
	}
	lc.Close()
	for _, n := range nodes {
		n.proc.stop(t)
	}
}
