package fleetdb

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/protocol"
)

// Multi-process cluster tests: the test binary re-executes itself as
// cluster members (one process each, real TCP on 127.0.0.1-3), each
// serving the JSON-lines protocol with a minimal server, so that a member
// can be killed with SIGKILL.

const clusterNodeEnv = "FLEETDB_CLUSTER_NODE"

// procNodeSpec is a child member's configuration, passed as JSON in the
// environment.
type procNodeSpec struct {
	ID, RaftAddr, ClientAddr, DataDir, Join string
	Bootstrap                               bool
	SnapshotThreshold, TrailingLogs         uint64
	NoSync                                  bool
	LogStore                                string // "wal" (default) or "bolt"
}

// A child member starts before TestMain (crash_test.go's) parses flags.
func init() {
	if spec := os.Getenv(clusterNodeEnv); spec != "" {
		os.Exit(clusterNodeMain(spec))
	}
}

// clusterNodeMain runs one member until SIGTERM (or SIGKILL).
func clusterNodeMain(spec string) int {
	var s procNodeSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintln(os.Stderr, "spec:", err)
		return 3
	}
	ln, err := net.Listen("tcp", s.ClientAddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		return 3
	}
	// The listener is open before Open so that a member's join can reach
	// the others while they wait; connections queue until served.
	store := LogStoreWAL
	if s.LogStore == "" {
		s.LogStore = os.Getenv("FLEETDB_TEST_LOGSTORE") // the whole test run on one store
	}
	if s.LogStore != "" {
		if store, err = ParseLogStore(s.LogStore); err != nil {
			fmt.Fprintln(os.Stderr, "spec:", err)
			return 3
		}
	}
	db, err := Open(Options{Cluster: &ClusterOptions{
		NodeID: s.ID, RaftAddr: s.RaftAddr, ClientAddr: s.ClientAddr, DataDir: s.DataDir,
		Bootstrap: s.Bootstrap, Join: s.Join,
		HeartbeatTimeout: 500 * time.Millisecond, ElectionTimeout: 500 * time.Millisecond,
		SnapshotThreshold: s.SnapshotThreshold, SnapshotInterval: 200 * time.Millisecond, TrailingLogs: s.TrailingLogs,
		NoSync: s.NoSync, LogStore: store,
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 3
	}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		ln.Close()
	}()
	// Serve at once (a member joining through this one needs it), but say
	// ready only once caught up, as fleetdb serve does.
	var wg sync.WaitGroup
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := db.WaitReady(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "not ready:", err)
			return
		}
		fmt.Println("ready")
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			break
		}
		wg.Go(func() { serveTestConn(db, c) })
	}
	db.Close()
	return 0
}

// serveTestConn answers JSON-lines queries; ["test-hash"] answers the
// member's applied index and value hash.
func serveTestConn(db *DB, c net.Conn) {
	defer c.Close()
	r := protocol.NewReader(c, protocol.ReaderOptions{})
	w := protocol.NewWriter(c)
	for {
		line, err := r.ReadLine()
		if err != nil {
			return
		}
		if string(line) == `["test-hash"]` {
			v := db.value()
			h := v.Hash()
			w.WriteResponse(protocol.StatusOK, fmt.Appendf(nil, `"%d:%s"`, v.Seq, hex.EncodeToString(h[:])))
		} else if out, err := db.Query(context.Background(), line); err != nil {
			status := protocol.StatusFailed
			if errors.Is(err, ErrRefused) {
				status = protocol.StatusRefused
			}
			w.WriteError(status, err.Error())
		} else {
			w.WriteResponse(protocol.StatusOK, out)
		}
		if r.Buffered() == 0 {
			if w.Flush() != nil {
				return
			}
		}
	}
}

// procNode is a child member seen from the test.
type procNode struct {
	spec procNodeSpec
	cmd  *exec.Cmd
	cl   *client.Client
}

type procCluster struct {
	t     testing.TB
	nodes []*procNode
}

func freeAddr(t testing.TB, host string) string {
	t.Helper()
	ln, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", host, err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (pc *procCluster) start(n *procNode) {
	pc.t.Helper()
	spec, _ := json.Marshal(n.spec)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), clusterNodeEnv+"="+string(spec))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		pc.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		pc.t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ok := sc.Scan() && sc.Text() == "ready"
		ready <- ok
		for sc.Scan() {
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			cmd.Process.Kill()
			cmd.Wait()
			pc.t.Fatalf("member %s did not start", n.spec.ID)
		}
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		pc.t.Fatalf("member %s did not start in time", n.spec.ID)
	}
	n.cmd = cmd
	if n.cl == nil {
		cl, err := client.Dial(context.Background(), n.spec.ClientAddr, client.WithPoolSize(16))
		if err != nil {
			pc.t.Fatal(err)
		}
		n.cl = cl
	}
}

func (pc *procCluster) kill(n *procNode) {
	if n.cmd != nil {
		n.cmd.Process.Kill()
		n.cmd.Wait()
		n.cmd = nil
	}
}

func (pc *procCluster) query(n *procNode, q any) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return n.cl.Query(ctx, q)
}

// info returns a member's cluster object.
func (pc *procCluster) info(n *procNode) (map[string]any, error) {
	out, err := pc.query(n, []any{"info"})
	if err != nil {
		return nil, err
	}
	var info struct{ Cluster map[string]any }
	if err := json.Unmarshal(out, &info); err != nil {
		return nil, err
	}
	return info.Cluster, nil
}

// leader returns the member that the live members agree leads.
func (pc *procCluster) leader(timeout time.Duration) *procNode {
	pc.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, n := range pc.nodes {
			if n.cmd == nil {
				continue
			}
			if c, err := pc.info(n); err == nil && c["role"] == "leader" {
				return n
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// waitSame waits until every live member reports the same applied index
// and hash.
func (pc *procCluster) waitSame(timeout time.Duration) string {
	pc.t.Helper()
	deadline := time.Now().Add(timeout)
	var seen []string
	for time.Now().Before(deadline) {
		seen = seen[:0]
		for _, n := range pc.nodes {
			if n.cmd == nil {
				continue
			}
			out, err := pc.query(n, []any{"test-hash"})
			if err != nil {
				seen = append(seen, n.spec.ID+": "+err.Error())
				continue
			}
			seen = append(seen, string(out))
		}
		same := len(seen) > 0
		for _, s := range seen {
			same = same && s == seen[0]
		}
		if same {
			return seen[0]
		}
		time.Sleep(50 * time.Millisecond)
	}
	pc.t.Fatalf("members did not converge: %v", seen)
	return ""
}

// TestClusterProcesses: three member processes on 127.0.0.1-3. Concurrent
// writers go to every member; the leader is killed with SIGKILL; a new
// leader is elected within 5 s; every acknowledged write is on both
// survivors; the killed member restarted from its data directory catches
// up; a member whose data directory was wiped rejoins and catches up by a
// snapshot.
func TestClusterProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process cluster test")
	}
	pc := startProcCluster(t, 3, func(s *procNodeSpec) { s.SnapshotThreshold, s.TrailingLogs = 200, 50 })
	if pc.leader(10*time.Second) == nil {
		t.Fatal("no leader")
	}

	// Writers: each inserts unique ids, round robin over the members, and
	// remembers what was acknowledged.
	var (
		acked   sync.Map
		nacked  atomic.Int64
		failed  atomic.Int64
		stop    atomic.Bool
		writers sync.WaitGroup
	)
	for w := range 8 {
		writers.Go(func() {
			for i := 0; !stop.Load(); i++ {
				n := pc.nodes[(w+i)%3]
				id := fmt.Sprintf("w%d-%d", w, i)
				_, err := pc.query(n, []any{"insert", "t", map[string]any{"id": id}})
				if err == nil {
					acked.Store(id, true)
					nacked.Add(1)
				} else {
					failed.Add(1)
					time.Sleep(5 * time.Millisecond)
				}
			}
		})
	}
	time.Sleep(time.Second)
	victim := pc.leader(5 * time.Second)
	pc.kill(victim)
	killedAt := time.Now()
	// A write through a survivor succeeds again within 2 s.
	var survivors []*procNode
	for _, n := range pc.nodes {
		if n != victim {
			survivors = append(survivors, n)
		}
	}
	var resumed time.Duration
	for i := 0; ; i++ {
		id := fmt.Sprintf("failover-%d", i)
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		_, err := survivors[i%2].cl.Query(ctx, []any{"insert", "t", map[string]any{"id": id}})
		cancel()
		if err == nil {
			acked.Store(id, true)
			resumed = time.Since(killedAt)
			break
		}
		if time.Since(killedAt) > 10*time.Second {
			t.Fatalf("no write succeeded within 10 s of killing the leader: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if resumed > 2*time.Second {
		t.Errorf("the first write after killing the leader succeeded after %v (want within 2 s)", resumed)
	}
	var newLeader *procNode
	for time.Since(killedAt) < 10*time.Second {
		if l := pc.leader(100 * time.Millisecond); l != nil && l != victim {
			newLeader = l
			break
		}
	}
	elected := time.Since(killedAt)
	if newLeader == nil || elected > 5*time.Second {
		t.Fatalf("no new leader within 5 s of killing %s (took %v)", victim.spec.ID, elected)
	}
	time.Sleep(time.Second)
	stop.Store(true)
	writers.Wait()
	t.Logf("killed leader %s; writes resumed after %v; %s elected after %v; %d writes acknowledged, %d failed", victim.spec.ID,
		resumed.Round(time.Millisecond), newLeader.spec.ID, elected, nacked.Load(), failed.Load())

	checkAcked := func(n *procNode) {
		t.Helper()
		out, err := pc.query(n, []any{"select", "t", map[string]any{"only": "id"}})
		if err != nil {
			t.Fatalf("select on %s: %v", n.spec.ID, err)
		}
		var ids []string
		json.Unmarshal(out, &ids)
		have := map[string]bool{}
		for _, id := range ids {
			have[id] = true
		}
		missing := 0
		acked.Range(func(k, _ any) bool {
			if !have[k.(string)] {
				missing++
			}
			return true
		})
		if missing > 0 {
			t.Fatalf("%s misses %d acknowledged writes", n.spec.ID, missing)
		}
	}
	for _, n := range pc.nodes {
		if n != victim {
			checkAcked(n)
		}
	}

	// The killed member restarts from its data directory and catches up.
	pc.start(victim)
	t.Logf("converged after restart: %s", pc.waitSame(30*time.Second))
	checkAcked(victim)

	// Wipe a follower's data directory; it rejoins and gets a snapshot.
	leader := pc.leader(5 * time.Second)
	var wiped *procNode
	for _, n := range pc.nodes {
		if n != leader {
			wiped = n
		}
	}
	pc.kill(wiped)
	if err := os.RemoveAll(wiped.spec.DataDir); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		if _, err := pc.query(leader, []any{"insert", "t", map[string]any{"id": fmt.Sprintf("after-wipe-%d", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	wiped.spec.Bootstrap = false
	wiped.spec.Join = leader.spec.ClientAddr
	pc.start(wiped)
	t.Logf("converged after wipe: %s", pc.waitSame(30*time.Second))
	checkAcked(wiped)
	c, err := pc.info(wiped)
	if err != nil {
		t.Fatal(err)
	}
	if restored, _ := c["snapshots-restored"].(float64); restored < 1 {
		t.Fatalf("the wiped member caught up without a snapshot: %v", c)
	}
	if !strings.Contains(fmt.Sprint(c["members"]), wiped.spec.ClientAddr) {
		t.Fatalf("members: %v", c["members"])
	}
}

// BenchmarkClusterProcesses: three member processes on 127.0.0.1-3 as in
// TestClusterProcesses, 64 client goroutines (each with its own
// connection) spread over them, over the protocol: replicated inserts,
// then linearizable lookups of the inserted ids.
//
//	go test -run '^$' -bench ClusterProcesses -benchtime 100000x .
func BenchmarkClusterProcesses(b *testing.B) {
	pc := startProcCluster(b, 3, func(s *procNodeSpec) {
		s.NoSync = os.Getenv("FLEETDB_BENCH_NOSYNC") != ""
		s.LogStore = os.Getenv("FLEETDB_BENCH_LOGSTORE")
	})
	if pc.leader(10*time.Second) == nil {
		b.Fatal("no leader")
	}
	clients := make([]*client.Client, benchClients)
	for i := range clients {
		cl, err := client.Dial(context.Background(), pc.nodes[i%3].spec.ClientAddr, client.WithPoolSize(1))
		if err != nil {
			b.Fatal(err)
		}
		defer cl.Close()
		clients[i] = cl
	}
	ctx := context.Background()
	run := 0
	b.Run("insert", func(b *testing.B) {
		run++ // b.Run calls this more than once: ids must stay unique
		runClients(b, nil, "inserts", func(_ *DB, c, i int) error {
			id := i
			if run > 1 {
				id = run<<32 + i
			}
			_, err := clients[c].Query(ctx, []any{"insert", "bench", map[string]any{"id": id, "client": c, "name": fmt.Sprint("user ", i), "n": i}})
			return err
		})
	})
	b.Run("read", func(b *testing.B) {
		runClients(b, nil, "reads", func(_ *DB, c, i int) error {
			_, err := clients[c].Query(ctx, []any{"select", "bench", map[string]any{"where": []any{"=", "id", i % 1000}}})
			return err
		})
	})
}

// startProcCluster starts n member processes on 127.0.0.1..n (the first
// bootstraps, the others join it), each spec adjusted by tune, killed at
// the end of the test.
func startProcCluster(t testing.TB, n int, tune func(*procNodeSpec)) *procCluster {
	t.Helper()
	pc := &procCluster{t: t}
	dir := t.TempDir()
	for i := range n {
		host := fmt.Sprintf("127.0.0.%d", i+1)
		node := &procNode{spec: procNodeSpec{
			ID: fmt.Sprintf("n%d", i+1), RaftAddr: freeAddr(t, host), ClientAddr: freeAddr(t, host),
			DataDir: filepath.Join(dir, fmt.Sprintf("n%d", i+1)), Bootstrap: i == 0,
		}}
		if i > 0 {
			node.spec.Join = pc.nodes[0].spec.ClientAddr
		}
		if tune != nil {
			tune(&node.spec)
		}
		pc.nodes = append(pc.nodes, node)
	}
	t.Cleanup(func() {
		for _, n := range pc.nodes {
			pc.kill(n)
			if n.cl != nil {
				n.cl.Close()
			}
		}
	})
	for _, n := range pc.nodes {
		pc.start(n)
	}
	return pc
}
