package replication

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/query"
)

// testNode is a node with the published value the root package would keep.
type testNode struct {
	id   string
	addr string
	cur  atomic.Pointer[dbvalue.Value]
	node *Node
	cfg  Config
}

// testCluster is an in-process cluster on an InmemNetwork.
type testCluster struct {
	t     testing.TB
	net   *InmemNetwork
	mu    sync.Mutex // guards nodes' node fields during restarts
	nodes []*testNode
	tune  func(*Config)
}

// fastConfig makes elections quick for in-process tests.
func fastConfig(c *Config) {
	c.HeartbeatTimeout = 150 * time.Millisecond
	c.ElectionTimeout = 150 * time.Millisecond
	c.CommitTimeout = 2 * time.Millisecond
	c.ApplyTimeout = 2 * time.Second
}

func testLogger() *slog.Logger {
	if os.Getenv("FLEETDB_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}

// newTestCluster starts size nodes: the first bootstraps, the others join
// through it.
func newTestCluster(t testing.TB, size int, tune func(*Config)) *testCluster {
	t.Helper()
	c := &testCluster{t: t, net: NewInmemNetwork(1), tune: tune}
	for i := range size {
		tn := &testNode{id: fmt.Sprintf("n%d", i+1), addr: fmt.Sprintf("raft-%d", i+1)}
		c.nodes = append(c.nodes, tn)
		c.start(tn, i == 0)
		if i == 0 {
			c.waitLeader()
		} else {
			if err := c.nodes[0].node.Join(context.Background(), tn.id, tn.addr, "client-"+tn.id); err != nil {
				t.Fatalf("join %s: %v", tn.id, err)
			}
		}
	}
	t.Cleanup(c.close)
	return c
}

func (c *testCluster) start(tn *testNode, bootstrap bool) {
	c.t.Helper()
	cfg := Config{
		NodeID:     tn.id,
		RaftAddr:   tn.addr,
		ClientAddr: "client-" + tn.id,
		Bootstrap:  bootstrap,
		network:    c.net,
		Logger:     testLogger(),
		Publish:    func(v *dbvalue.Value) { tn.cur.Store(v) },
	}
	fastConfig(&cfg)
	if c.tune != nil {
		c.tune(&cfg)
	}
	tn.cfg = cfg
	n, err := Open(context.Background(), cfg)
	if err != nil {
		c.t.Fatalf("open %s: %v", tn.id, err)
	}
	c.mu.Lock()
	tn.node = n
	c.mu.Unlock()
}

// stop closes a node (its state stays in the network).
func (c *testCluster) stop(tn *testNode) {
	c.mu.Lock()
	n := tn.node
	tn.node = nil
	c.mu.Unlock()
	if n != nil {
		if err := n.Close(); err != nil {
			c.t.Logf("close %s: %v", tn.id, err)
		}
	}
}

func (c *testCluster) get(tn *testNode) *Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return tn.node
}

func (c *testCluster) close() {
	for _, tn := range c.nodes {
		c.stop(tn)
	}
}

// waitLeader waits until one running node leads (and has applied an entry
// of its term) and returns it.
func (c *testCluster) waitLeader() *testNode {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, tn := range c.nodes {
			n := c.get(tn)
			if n != nil && n.isLeader() && n.fsm.progress.term.Load() == n.raft.CurrentTerm() {
				return tn
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.t.Fatalf("no leader within 10s")
	return nil
}

// waitReady waits for a leader and then for every member to be ready
// (WaitReady), and returns the leader.
func (c *testCluster) waitReady() *testNode {
	c.t.Helper()
	leader := c.waitLeader()
	for _, tn := range c.nodes {
		if err := c.get(tn).WaitReady(context.Background()); err != nil {
			c.t.Fatal(err)
		}
	}
	return leader
}

func (c *testCluster) followers(leader *testNode) []*testNode {
	var fs []*testNode
	for _, tn := range c.nodes {
		if tn != leader && c.get(tn) != nil {
			fs = append(fs, tn)
		}
	}
	return fs
}

// parsed parses req (a test's own request: failing to parse is the test's
// bug) and returns it with tn's node, nil if the node is closed.
func (c *testCluster) parsed(tn *testNode, req string) (*Node, query.Query) {
	q, err := query.ParseString(req)
	if err != nil {
		c.t.Fatalf("parse %s: %v", req, err)
	}
	return c.get(tn), q
}

// write runs a write on a node.
func (c *testCluster) write(tn *testNode, req string) ([]byte, error) {
	n, q := c.parsed(tn, req)
	if n == nil {
		return nil, ErrClosed
	}
	return n.Write(context.Background(), []byte(req), q)
}

// asyncResult carries what a callback of StartWrite or StartReadBarrier
// produced back to the test's goroutine.
type asyncResult struct {
	out []byte
	err error
}

// writeAsync is write through StartWrite, as a server's event loop starts
// it (Write when StartWrite declines).
func (c *testCluster) writeAsync(tn *testNode, req string) ([]byte, error) {
	n, q := c.parsed(tn, req)
	if n == nil {
		return nil, ErrClosed
	}
	ch := make(chan asyncResult, 1)
	if !n.StartWrite([]byte(req), q, func(out []byte, err error) { ch <- asyncResult{out, err} }) {
		return n.Write(context.Background(), []byte(req), q)
	}
	r := <-ch
	return r.out, r.err
}

func (c *testCluster) mustWrite(tn *testNode, req string) string {
	c.t.Helper()
	out, err := c.write(tn, req)
	if err != nil {
		c.t.Fatalf("%s on %s: %v", req, tn.id, err)
	}
	return string(out)
}

// read runs a read on a node after its read barrier.
func (c *testCluster) read(ctx context.Context, tn *testNode, req string) ([]byte, error) {
	n, q := c.parsed(tn, req)
	if n == nil {
		return nil, ErrClosed
	}
	if err := n.ReadBarrier(ctx); err != nil {
		return nil, err
	}
	return query.Execute(nil, tn.cur.Load(), q, nil)
}

// readAsync is read through StartReadBarrier, as a server's event loop
// starts it (ReadBarrier when StartReadBarrier declines); the read runs in
// the callback, on the value published then.
func (c *testCluster) readAsync(ctx context.Context, tn *testNode, req string) ([]byte, error) {
	n, q := c.parsed(tn, req)
	if n == nil {
		return nil, ErrClosed
	}
	ch := make(chan asyncResult, 1)
	started := n.StartReadBarrier(ctx, func(err error) {
		if err != nil {
			ch <- asyncResult{nil, err}
			return
		}
		out, err := query.Execute(nil, tn.cur.Load(), q, nil)
		ch <- asyncResult{out, err}
	})
	if !started {
		return c.read(ctx, tn, req)
	}
	r := <-ch
	return r.out, r.err
}

// readBatch is read through StartReadBarriers, as a server's event loop
// starts the gets of a turn (ReadBarrier when it declines), in a batch
// with extra reads of the same request before it, which must be answered
// first; the read runs in the callback, on the value published then.
func (c *testCluster) readBatch(ctx context.Context, tn *testNode, req string, extra int) ([]byte, error) {
	n, q := c.parsed(tn, req)
	if n == nil {
		return nil, ErrClosed
	}
	ch := make(chan asyncResult, 1)
	var order atomic.Int64
	fns := make([]func(error), 0, extra+1)
	for i := range extra {
		fns = append(fns, func(error) {
			if got := order.Add(1); got != int64(i+1) {
				c.t.Errorf("batch read %d answered as number %d", i+1, got)
			}
		})
	}
	fns = append(fns, func(err error) {
		if got := order.Add(1); got != int64(extra+1) {
			c.t.Errorf("batch read %d answered as number %d", extra+1, got)
		}
		if err != nil {
			ch <- asyncResult{nil, err}
			return
		}
		out, err := query.Execute(nil, tn.cur.Load(), q, nil)
		ch <- asyncResult{out, err}
	})
	if !n.StartReadBarriers(ctx, fns) {
		return c.read(ctx, tn, req)
	}
	r := <-ch
	return r.out, r.err
}

func (c *testCluster) mustRead(tn *testNode, req string) string {
	c.t.Helper()
	out, err := c.read(context.Background(), tn, req)
	if err != nil {
		c.t.Fatalf("%s on %s: %v", req, tn.id, err)
	}
	return string(out)
}

// waitConverged waits until every running node has applied the same index
// and holds the same value (by hash), and returns that hash.
func (c *testCluster) waitConverged() [32]byte {
	c.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		var (
			index uint64
			hash  [32]byte
			same  = true
			first = true
		)
		last = ""
		for _, tn := range c.nodes {
			n := c.get(tn)
			if n == nil {
				continue
			}
			v := tn.cur.Load()
			h := v.Hash()
			last += fmt.Sprintf(" %s: applied %d commit %d seq %d hash %x;", tn.id, n.Applied(), n.raft.CommitIndex(), v.Seq, h[:4])
			if first {
				index, hash, first = n.Applied(), h, false
				continue
			}
			if n.Applied() != index || h != hash {
				same = false
			}
		}
		if same {
			return hash
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.t.Fatalf("nodes did not converge:%s", last)
	return [32]byte{}
}

// standaloneHash applies writes in order to an empty value as a standalone
// database does and returns the hash.
func standaloneHash(t testing.TB, writes []string) [32]byte {
	t.Helper()
	txn := dbvalue.Empty().Begin()
	for _, w := range writes {
		q, err := query.ParseString(w)
		if err != nil {
			t.Fatal(err)
		}
		_, err = query.Apply(nil, txn, q, &query.Env{})
		var qe *query.Error
		if err != nil && !errors.As(err, &qe) {
			t.Fatal(err)
		}
	}
	return txn.Commit().Hash()
}

func isNoLeader(err error) bool { return errors.Is(err, ErrNoLeader) }
func isUnknown(err error) bool  { return errors.Is(err, ErrOutcomeUnknown) }

// raftLogFirstIndex returns the first index of the node's Raft log.
func (n *Node) raftLogFirstIndex() (uint64, error) {
	return n.logs.FirstIndex()
}
