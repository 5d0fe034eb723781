package replication

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/query"
	"github.com/hashicorp/raft"
	"go.uber.org/goleak"
)

// pipelinePeer is a follower's raft transport over the mux whose RPCs the
// test answers: the n-th AppendEntries (from 1) succeeds if ok says so,
// any other RPC fails.
type pipelinePeer struct {
	trans *raft.NetworkTransport
	m     *mux
	ok    func(n int, req *raft.AppendEntriesRequest) bool
	wg    sync.WaitGroup
	stop  chan struct{}
}

func newPipelinePeer(t *testing.T, ok func(n int, req *raft.AppendEntriesRequest) bool) *pipelinePeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	p := &pipelinePeer{ok: ok, stop: make(chan struct{})}
	p.m = newMux(ln, nil, func(context.Context, byte, []byte) (byte, []byte) {
		return stFailed, []byte("a test peer forwards nothing")
	}, nil, log)
	p.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: raftLayer{p.m}, MaxPool: 2, Timeout: 10 * time.Second, Logger: newHclog(log, "raft-net"),
	})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		n := 0
		for {
			var rpc raft.RPC
			select {
			case rpc = <-p.trans.Consumer():
			case <-p.stop:
				return
			}
			req, ok := rpc.Command.(*raft.AppendEntriesRequest)
			if !ok {
				rpc.Respond(nil, raft.ErrUnsupportedProtocol)
				continue
			}
			n++
			rpc.Respond(&raft.AppendEntriesResponse{Term: req.Term, Success: p.ok(n, req)}, nil)
		}
	}()
	return p
}

func (p *pipelinePeer) close() {
	close(p.stop)
	p.wg.Wait()
	p.trans.Close()
	p.m.close()
}

// TestPipelineEndsAfterRejection drives an append pipeline to a follower
// that rejects an entry the way raft's replication does (pipelineReplicate
// sends, pipelineDecode reads the answers and returns at the first
// failure) in the order that deadlocked raft's own pipeline: the sender
// calls AppendEntries once more after the consumer has returned. That call
// must return (raft's sender then closes the pipeline), and Close must
// leave no goroutine behind. On raft's bare TCP pipeline the third call
// blocks for good, the follower answering or not: the decoder waits to
// hand the second answer to a consumer that is gone.
func TestPipelineEndsAfterRejection(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	peer := newPipelinePeer(t, func(int, *raft.AppendEntriesRequest) bool { return false })
	defer peer.close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	m := newMux(ln, nil, nil, nil, log)
	defer m.close()
	inner := raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: raftLayer{m}, MaxPool: 2, Timeout: 10 * time.Second, Logger: newHclog(log, "raft-net"),
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	trans := newPeerTransport(ctx, inner, newPeerHealth(), &commitSent{})
	defer trans.Close()

	p, err := trans.AppendEntriesPipeline("peer", peer.trans.LocalAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close() // after a failure; closing twice is harmless
	send := func() error {
		_, err := p.AppendEntries(&raft.AppendEntriesRequest{Term: 1}, new(raft.AppendEntriesResponse))
		return err
	}
	consumed := make(chan raft.AppendFuture, 1)
	go func() { consumed <- <-p.Consumer() }() // pipelineDecode: returns at the rejection
	if err := send(); err != nil {
		t.Fatal(err)
	}
	// Returns once the decoder has handed the first answer on (or at once
	// if the rejection was already seen: the pipeline is over).
	if err := send(); err != nil && !errors.Is(err, raft.ErrPipelineShutdown) {
		t.Fatal(err)
	}
	if f := <-consumed; f.Response().Success {
		t.Fatalf("the follower's first answer is a success")
	}
	third := make(chan error, 1)
	go func() { third <- send() }()
	select {
	case err := <-third:
		if !errors.Is(err, raft.ErrPipelineShutdown) && err != nil {
			t.Fatalf("send after the rejection: %v", err)
		}
	case <-time.After(time.Minute): // a hang, not a slow machine
		t.Fatal("AppendEntries after the consumer ended still blocks after a minute")
	}
	if err := send(); !errors.Is(err, raft.ErrPipelineShutdown) {
		t.Fatalf("send on a pipeline whose consumer ended: %v; want ErrPipelineShutdown", err)
	}
	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	select {
	case <-closed:
	case <-time.After(time.Minute):
		t.Fatal("the pipeline's Close still blocks after a minute")
	}
}

// TestCloseWhileFollowerRejects: a leader under writes whose follower
// rejects an entry now and then (each rejection ends a pipeline, the case
// that could deadlock raft's replication) keeps committing, and Close
// returns. Without endingPipeline the first run here stalled after 21
// writes and Close waited for good.
func TestCloseWhileFollowerRejects(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test")
	}
	peer := newPipelinePeer(t, func(n int, req *raft.AppendEntriesRequest) bool {
		return len(req.Entries) == 0 || n%7 != 0
	})
	defer peer.close()
	var cur atomic.Pointer[dbvalue.Value]
	cfg := Config{
		NodeID: "n1", RaftAddr: freeTCPAddr(t), DataDir: t.TempDir(), Bootstrap: true, NoSync: true,
		Logger: testLogger(), Publish: func(v *dbvalue.Value) { cur.Store(v) },
	}
	fastConfig(&cfg)
	n, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	closing := false
	defer func() {
		if !closing {
			n.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := n.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.Join(ctx, "peer", string(peer.trans.LocalAddr()), ""); err != nil {
		t.Fatal(err)
	}
	var (
		wg      sync.WaitGroup
		written atomic.Int64
	)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 150 {
				req := fmt.Sprintf(`["insert","t",{"id":%d}]`, w*1000+i)
				q, _ := query.ParseString(req)
				if _, err := n.Write(ctx, []byte(req), q); err != nil {
					t.Errorf("write %d: %v", w*1000+i, err)
					return
				}
				written.Add(1)
			}
		}()
	}
	wg.Wait()
	closing = true
	done := make(chan error, 1)
	go func() { done <- n.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("close: %v", err)
		}
	case <-time.After(time.Minute): // a hang, not a slow machine
		t.Fatalf("Close still waits after a minute (%d writes committed)", written.Load())
	}
}

// TestMuxClosesRaftConns: closing the mux closes every raft connection it
// handed out, accepted or dialed (raft's transport leaves its pooled ones
// open), so the peer's reader ends at once; a closed mux dials nothing.
func TestMuxClosesRaftConns(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	log := slog.New(slog.DiscardHandler)
	newM := func() *mux {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return newMux(ln, nil, nil, nil, log)
	}
	a, b := newM(), newM()
	defer b.close()
	dialed, err := (raftLayer{a}).Dial(raft.ServerAddress(b.ln.Addr().String()), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dialed.Write([]byte{0}); err != nil { // an RPC type byte: routed to raft
		t.Fatal(err)
	}
	accepted, err := (raftLayer{b}).Accept()
	if err != nil {
		t.Fatal(err)
	}
	a.close()
	buf := make([]byte, 1)
	if n, err := accepted.Read(buf); n != 1 {
		t.Fatalf("first byte: %d, %v", n, err)
	}
	accepted.SetReadDeadline(time.Now().Add(time.Minute)) // a hang, not a slow machine
	if _, err := accepted.Read(buf); err == nil || isTimeout(err) {
		t.Fatalf("read on the peer after the dialer's mux closed: %v; want EOF", err)
	}
	if _, err := (raftLayer{a}).Dial(raft.ServerAddress(b.ln.Addr().String()), 5*time.Second); err == nil {
		t.Fatal("a closed mux dialed")
	}
	b.close()
	if _, err := accepted.Write([]byte{1}); err == nil {
		t.Fatal("an accepted connection is still open after its mux closed")
	}
}
