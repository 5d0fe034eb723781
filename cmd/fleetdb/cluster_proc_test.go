package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/admin"
)

// serveProc is a `fleetdb serve` child process: the test binary run as
// the fleetdb binary (FLEETDB_TEST_MAIN, see TestMain), logging JSON.
type serveProc struct {
	name string
	args []string
	cmd  *exec.Cmd

	ready    chan map[string]any // the ready line, once
	logsDone chan struct{}       // stderr reached EOF

	mu   sync.Mutex
	logs []string
}

// startServeProc starts `fleetdb serve args... --log-format json` and
// returns without waiting for it to be ready. The process is killed at the
// end of the test if it still runs.
func startServeProc(t testing.TB, name string, args ...string) *serveProc {
	t.Helper()
	p := &serveProc{name: name, args: args, ready: make(chan map[string]any, 1), logsDone: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0], append(append([]string{"serve"}, args...), "--log-format", "json")...)
	p.cmd.Env = append(os.Environ(), "FLEETDB_TEST_MAIN=1")
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.logsDone)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.logs = append(p.logs, sc.Text())
			p.mu.Unlock()
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == "fleetdb: ready" {
				p.ready <- rec
			}
		}
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
		<-p.logsDone
		if t.Failed() {
			t.Logf("log of %s:\n%s", p.name, p.log())
		}
	})
	return p
}

func (p *serveProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.logs, "\n")
}

// waitReady waits for the ready line and returns it.
func (p *serveProc) waitReady(t testing.TB, timeout time.Duration) map[string]any {
	t.Helper()
	select {
	case rec := <-p.ready:
		return rec
	case <-p.logsDone:
		p.cmd.Wait()
		t.Fatalf("%s exited before it was ready (%v)", p.name, p.cmd.ProcessState)
	case <-time.After(timeout):
		t.Fatalf("%s was not ready within %v", p.name, timeout)
	}
	return nil
}

// stop sends SIGTERM and checks that the process exits 0 after logging
// that it stopped.
func (p *serveProc) stop(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Wait closes stderr once the process exits: read it to the end first,
	// or the last lines (the stopped line) may be lost.
	done := make(chan error, 1)
	go func() {
		<-p.logsDone
		done <- p.cmd.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s exited with %v after SIGTERM", p.name, err)
		}
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-done
		t.Errorf("%s did not exit within 15 s of SIGTERM", p.name)
	}
	<-p.logsDone
	if !strings.Contains(p.log(), `"msg":"fleetdb: stopped"`) {
		t.Errorf("%s logged no stopped line", p.name)
	}
}

// freeAddrOn returns host:port with a port nothing listens on, or skips
// the test when host is not a local address (127.0.0.2 outside Linux).
func freeAddrOn(t testing.TB, host string) string {
	t.Helper()
	ln, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", host, err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// memberNode is a cluster member of TestClusterProcesses.
type memberNode struct {
	id, host, clientAddr, raftAddr, dataDir string
	proc                                    *serveProc
	cl                                      *client.Client
	// unauthenticated: no cluster secret by default (members are given
	// one, as a normal deployment has, unless extra sets -x or their own).
	unauthenticated bool
}

// testClusterSecret authenticates the members of the tests to each other.
const testClusterSecret = "test-cluster-secret"

func (n *memberNode) args(extra ...string) []string {
	args := []string{"-a", n.host, "-p", n.clientAddr[strings.LastIndexByte(n.clientAddr, ':')+1:],
		"--node-id", n.id, "--raft-addr", n.raftAddr, "--data-dir", n.dataDir}
	if !n.unauthenticated && !slices.Contains(extra, "-x") && !slices.Contains(extra, "--cluster-secret") {
		args = append(args, "--cluster-secret", testClusterSecret)
	}
	return append(args, extra...)
}

// TestClusterProcesses runs three `fleetdb serve` processes on 127.0.0.1,
// .2 and .3 (the first with --bootstrap, the others with --join, all
// started at once), writes through a follower and reads back there (at
// both read consistencies), checks `fleetdb cluster status`, restarts a
// member with the same flags (it rejoins from its data dir and catches
// up), and stops them all with SIGTERM (exit 0); none of them logs at
// warning or error level.
func TestClusterProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three server processes")
	}
	start := time.Now()
	nodes := launchMembers(t, 3)
	var procs []*serveProc // every process started, for the log check
	for _, n := range nodes {
		procs = append(procs, n.proc)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, n := range nodes {
		rec := n.proc.waitReady(t, 30*time.Second)
		if rec["mode"] != "cluster" || rec["node_id"] != n.id || rec["raft_addr"] != n.raftAddr || rec["addr"] != n.clientAddr {
			t.Errorf("%s: ready line %v", n.id, rec)
		}
		cl, err := client.Dial(ctx, n.clientAddr, client.WithPoolSize(2))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		n.cl = cl
	}
	t.Logf("3 members ready in %v", time.Since(start).Round(time.Millisecond))

	// Wait until every member sees the same leader and all three members.
	leader := agreedLeader(t, ctx, nodes)
	var followers []*memberNode
	for _, n := range nodes {
		if n.id != leader {
			followers = append(followers, n)
		}
	}
	f, other := followers[0], followers[1]
	t.Logf("leader %s; writing through %s, restarting %s", leader, f.id, other.id)

	// A write through a follower is forwarded to the leader and is visible
	// on that follower as soon as it is acknowledged.
	if n, err := f.cl.Insert(ctx, "ships", map[string]any{"id": 1, "name": "Nautilus"}); err != nil || n != 1 {
		t.Fatalf("insert through %s: %d, %v", f.id, n, err)
	}
	recs, err := f.cl.Select(ctx, "ships", nil)
	if err != nil || len(recs) != 1 || string(recs[0]) != `{"id":1,"name":"Nautilus"}` {
		t.Fatalf("select on %s: %s, %v", f.id, recs, err)
	}
	// The same read at local consistency, on a connection of its own.
	local, err := client.Dial(ctx, f.clientAddr, client.WithPoolSize(1))
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	if v, err := local.Query(ctx, []any{"set-read-consistency", "local"}); err != nil || string(v) != `"local"` {
		t.Fatalf("set-read-consistency: %s, %v", v, err)
	}
	if n, err := local.Count(ctx, "ships", nil); err != nil || n != 1 {
		t.Fatalf("local count on %s: %d, %v", f.id, n, err)
	}

	// cluster status, as a person would run it against the follower.
	port := f.clientAddr[strings.LastIndexByte(f.clientAddr, ':')+1:]
	code, out, stderr := runCmd(t, ctx, "cluster", "status", "--host", f.host, "--port", port, "--json")
	var st admin.ClusterStatus
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
		t.Fatalf("cluster status: exit %d\n%s%s", code, out, stderr)
	}
	if st.NodeID != f.id || st.Role != "follower" || st.Leader != leader || len(st.Members) != 3 {
		t.Fatalf("cluster status: %+v", st)
	}
	for _, m := range st.Members {
		var n *memberNode
		for _, x := range nodes {
			if x.id == m.ID {
				n = x
			}
		}
		if n == nil || m.RaftAddr != n.raftAddr || m.ClientAddr != n.clientAddr || m.Suffrage != "voter" {
			t.Errorf("member %+v", m)
		}
	}

	// A member restarted with the same flags rejoins from its data dir and
	// catches up with what was written while it was away.
	other.proc.stop(t)
	if _, err := f.cl.Insert(ctx, "ships", map[string]any{"id": 2, "name": "Argo"}); err != nil {
		t.Fatalf("insert with %s down: %v", other.id, err)
	}
	other.proc = startServeProc(t, other.id+"-restarted", other.args("--join", nodes[0].clientAddr)...)
	procs = append(procs, other.proc)
	other.proc.waitReady(t, 30*time.Second)
	other.cl.Close() // its connections were closed by the shutdown
	if other.cl, err = client.Dial(ctx, other.clientAddr); err != nil {
		t.Fatal(err)
	}
	defer other.cl.Close()
	if n, err := other.cl.Count(ctx, "ships", nil); err != nil || n != 2 {
		t.Fatalf("linearizable count on restarted %s: %d, %v", other.id, n, err)
	}

	for _, n := range nodes {
		n.cl.Close()
	}
	local.Close()
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Go(func() { n.proc.stop(t) })
	}
	wg.Wait()

	// A normal start, join, restart and shutdown log nothing at warning or
	// error level.
	for _, p := range procs {
		for _, line := range strings.Split(p.log(), "\n") {
			if strings.Contains(line, `"level":"WARN"`) || strings.Contains(line, `"level":"ERROR"`) {
				t.Errorf("%s logged: %s", p.name, line)
			}
		}
	}
	t.Logf("done in %v", time.Since(start).Round(time.Millisecond))
}

// launchMembers starts n `fleetdb serve` members on 127.0.0.1..n, all at
// once: the first bootstraps the cluster, the others join it through its
// client port. It does not wait for them to be ready.
func launchMembers(t *testing.T, n int) []*memberNode {
	t.Helper()
	dir := t.TempDir()
	nodes := make([]*memberNode, n)
	for i := range nodes {
		host := fmt.Sprintf("127.0.0.%d", i+1)
		nodes[i] = &memberNode{
			id: fmt.Sprintf("n%d", i+1), host: host,
			clientAddr: freeAddrOn(t, host), raftAddr: freeAddrOn(t, host),
			dataDir: filepath.Join(dir, fmt.Sprintf("n%d", i+1)),
		}
	}
	for i, m := range nodes {
		extra := []string{"--join", nodes[0].clientAddr}
		if i == 0 {
			extra = []string{"--bootstrap"}
		}
		m.proc = startServeProc(t, m.id, m.args(extra...)...)
	}
	return nodes
}
