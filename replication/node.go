package replication

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// Node is one member of a FleetDB cluster: a Raft node whose state machine
// is the database value, with the write path (coalescing, forwarding to the
// leader) and the read barrier of linearizable reads.
//
// Its methods are safe for concurrent use. It owns goroutines of its own
// (leadership upkeep, the write sender, one per write batch in flight,
// read-index rounds, forwarded requests being handled) and raft's; Close
// stops and joins them.
type Node struct {
	cfg   Config
	log   *slog.Logger
	raft  *raft.Raft
	fsm   *fsm
	link  link
	sendq *coalescer
	self  raft.ServerID
	logs  raft.LogStore
	addr  raft.ServerAddress // the Raft address, as the others dial it

	leaderReads   *rounds // read-index rounds run as the leader
	followerReads *rounds // read-index rounds asked of the leader
	leader        *broadcast
	trans         *peerTransport
	peers         *peerHealth // the members' reachability, as the leader sees it
	sent          *commitSent // the commit index sent to each member
	notices       *commitNotices
	beats         *beats        // leadership checks of read indexes
	echo          echoes        // confirmations riding on read-index requests (echo.go)
	ready         chan struct{} // closed once caught up (see awaitReady)

	// ctx ends when Close begins; every goroutine of the node watches it.
	ctx    context.Context
	cancel context.CancelFunc

	// mu guards closing and the registration of goroutines in wg, so that
	// none is added once Close waits for them.
	mu      sync.Mutex
	closing bool
	wg      sync.WaitGroup

	closers   []func() error // stores, transport; run by Close in reverse
	closeOnce sync.Once
	closeErr  error
	dataDir   string
}

// Open starts a node: it opens (or creates) the Raft state in the data
// directory, starts Raft, bootstraps a new cluster or asks a member to
// admit this node if the directory was empty and the configuration says
// so, and returns. A node restarted on its data directory rejoins by
// itself.
func Open(ctx context.Context, cfg Config) (_ *Node, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	// n is not the named result: a failing return must not nil it before
	// the deferred Close runs.
	n := &Node{cfg: cfg, log: cfg.Logger.With("node", cfg.NodeID), self: raft.ServerID(cfg.NodeID)}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.leader = newBroadcast()
	n.peers = newPeerHealth()
	n.sent = &commitSent{}
	n.ready = make(chan struct{})
	n.leaderReads = newRounds(n, n.leaderRound)
	n.followerReads = newRounds(n, n.followerRound)
	n.followerReads.async = n.followerRoundAsync
	n.leaderReads.async = n.leaderRoundAsync
	n.beats = newBeats(n)
	n.fsm = newFSM(cfg.Env, cfg.Publish, n.log)
	n.fsm.changes = cfg.Changes
	n.sendq = newCoalescer(cfg.MaxBatch, cfg.QueueSize)
	defer func() {
		if err != nil {
			n.Close()
		}
	}()

	logs, stable, snaps, err := n.openStores()
	if err != nil {
		return nil, err
	}
	trans, err := n.openTransport()
	if err != nil {
		return nil, err
	}
	n.addr = trans.LocalAddr()
	n.logs = logs
	hasState, err := raft.HasExistingState(logs, stable, snaps)
	if err != nil {
		return nil, fmt.Errorf("replication: read raft state: %w", err)
	}

	notify := make(chan bool, 16)
	r, err := raft.NewRaft(n.raftConfig(notify), n.fsm, logs, stable, snaps, trans)
	if err != nil {
		return nil, fmt.Errorf("replication: start raft: %w", err)
	}
	n.raft = r
	n.trans.raft.Store(r)

	n.goOwned(n.send)
	n.notices = newCommitNotices(n, n.sent)
	n.goOwned(n.notices.run)

	obs := make(chan raft.Observation, 16)
	r.RegisterObserver(raft.NewObserver(obs, false, func(o *raft.Observation) bool {
		_, ok := o.Data.(raft.LeaderObservation)
		return ok
	}))
	n.goOwned(func() { n.upkeep(notify, obs) })

	switch {
	case hasState:
		n.log.Info("replication: restarting from existing state", "addr", n.addr)
	case cfg.Bootstrap:
		conf := raft.Configuration{Servers: []raft.Server{{Suffrage: raft.Voter, ID: n.self, Address: n.addr}}}
		if err := r.BootstrapCluster(conf).Error(); err != nil {
			return nil, fmt.Errorf("replication: bootstrap: %w", err)
		}
		n.log.Info("replication: bootstrapped a new cluster", "addr", n.addr)
	case cfg.Join != "":
		if err := n.joinVia(ctx, cfg.Join); err != nil {
			return nil, err
		}
	default:
		n.log.Info("replication: no state; waiting to be added by a member", "addr", n.addr)
	}
	n.goOwned(n.awaitReady)
	return n, nil
}

func (n *Node) raftConfig(notify chan bool) *raft.Config {
	c := raft.DefaultConfig()
	c.LocalID = n.self
	c.Logger = newHclog(n.cfg.Logger, "raft")
	c.HeartbeatTimeout = n.cfg.HeartbeatTimeout
	c.ElectionTimeout = n.cfg.ElectionTimeout
	// The lease only makes a leader cut off from a majority step down;
	// reads do not rely on it (ReadBarrier confirms leadership), so it is
	// as tolerant of slow disks as the heartbeat.
	c.LeaderLeaseTimeout = n.cfg.HeartbeatTimeout
	c.CommitTimeout = n.cfg.CommitTimeout
	c.MaxAppendEntries = DefaultMaxAppendEntries
	c.BatchApplyCh = true
	c.ShutdownOnRemove = false
	c.NotifyCh = notify
	c.NoLegacyTelemetry = true
	if n.cfg.SnapshotThreshold > 0 {
		c.SnapshotThreshold = n.cfg.SnapshotThreshold
	}
	if n.cfg.SnapshotInterval > 0 {
		c.SnapshotInterval = n.cfg.SnapshotInterval
	}
	if n.cfg.TrailingLogs > 0 {
		c.TrailingLogs = n.cfg.TrailingLogs
	}
	return c
}

// openTransport starts the Raft transport and the forwarding link: over
// TCP on one port (the mux), or over the in-process network.
func (n *Node) openTransport() (raft.Transport, error) {
	if nw := n.cfg.network; nw != nil {
		trans, l, detach, err := nw.attach(n.cfg.RaftAddr, n.handle)
		if err != nil {
			return nil, err
		}
		n.link = l
		n.closers = append(n.closers, detach)
		n.trans = newPeerTransport(n.ctx, trans, n.peers, n.sent)
		return n.trans, nil
	}
	ln, err := net.Listen("tcp", n.cfg.RaftAddr)
	if err != nil {
		return nil, fmt.Errorf("replication: listen on %s: %w", n.cfg.RaftAddr, err)
	}
	if a, ok := ln.Addr().(*net.TCPAddr); ok && a.IP.IsUnspecified() {
		ln.Close()
		return nil, fmt.Errorf("replication: raft address %s is not one other members can dial", n.cfg.RaftAddr)
	}
	guard := newPeerGuard(n.cfg.PeerTLS, n.cfg.ClusterSecret)
	if !guard.authenticated() {
		n.log.Warn("replication: connections between members are not authenticated: anyone who reaches the raft address can write; set a cluster secret (the server password or --cluster-secret) or peer TLS (--peer-tls-cert, --peer-tls-key, --peer-tls-ca)", "raft-addr", n.cfg.RaftAddr)
	}
	m := newMux(ln, guard, n.handle, n.handleQuick, n.log)
	// The pool keeps connections for calls that are not pipelined:
	// raft's heartbeats, commit notices, and up to maxBeats heartbeats of
	// leadership checks per member; with fewer, reads under load would
	// dial (and authenticate) connections again and again.
	trans := raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  raftLayer{m},
		MaxPool: 8,
		Timeout: 10 * time.Second,
		Logger:  newHclog(n.cfg.Logger, "raft-net"),
	})
	tl := newTCPLink(n.cfg.ApplyTimeout, guard)
	n.link = tl
	n.closers = append(n.closers, func() error { m.close(); return nil }, trans.Close, tl.close)
	n.trans = newPeerTransport(n.ctx, trans, n.peers, n.sent)
	return n.trans, nil
}

// RaftAddr returns the address other members reach this node at.
func (n *Node) RaftAddr() string { return string(n.addr) }

// ID returns the node's id.
func (n *Node) ID() string { return n.cfg.NodeID }

// Close stops the node: new requests fail with ErrClosed, writes in flight
// end (a write already handed to the leader with ErrOutcomeUnknown), Raft
// shuts down, and the stores and the transport are closed. A closed node
// may be opened again on the same data directory.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.handOver()
		n.mu.Lock()
		n.closing = true
		n.mu.Unlock()
		n.cancel()
		var errs []error
		st := n.sendq.snapshot()
		n.log.Info("replication: closing", "writes", st.Writes, "entries", st.Entries,
			"fsm-batches", n.fsm.batches.Load(), "fsm-entries", n.fsm.entries.Load(),
			"leader-rounds", n.leaderReads.count.Load(), "leader-round-reads", n.leaderReads.joined.Load(),
			"follower-rounds", n.followerReads.count.Load(), "follower-round-reads", n.followerReads.joined.Load(),
			"leader-rounds-echoed", n.echo.rode.Load())
		// Raft first (its shutdown ends the futures writes wait on), then
		// the node's goroutines, then the transport and the stores.
		if n.raft != nil {
			if err := n.raft.Shutdown().Error(); err != nil {
				errs = append(errs, err)
			}
		}
		n.wg.Wait()
		for i := len(n.closers) - 1; i >= 0; i-- {
			if err := n.closers[i](); err != nil && !errors.Is(err, raft.ErrRaftShutdown) {
				errs = append(errs, err)
			}
		}
		n.closeErr = errors.Join(errs...)
	})
	return n.closeErr
}

// handOver makes a leader that closes hand leadership to another voter
// first, so that the cluster goes on at once instead of after an election
// timeout (and without the followers' warnings about a lost leader).
func (n *Node) handOver() {
	if n.raft == nil || !n.isLeader() {
		return
	}
	cf := n.raft.GetConfiguration()
	if cf.Error() != nil {
		return
	}
	others := 0
	for _, s := range cf.Configuration().Servers {
		if s.ID != n.self && s.Suffrage == raft.Voter {
			others++
		}
	}
	if others == 0 {
		return
	}
	if err := n.raft.LeadershipTransfer().Error(); err != nil {
		n.log.Info("replication: leadership not handed over before closing", "err", err)
		return
	}
	n.log.Info("replication: leadership handed over before closing")
}

// goOwned runs fn on a goroutine the node owns (joined by Close). It
// reports false, without running fn, once Close has begun.
func (n *Node) goOwned(fn func()) bool {
	if !n.enter() {
		return false
	}
	go func() {
		defer n.wg.Done()
		fn()
	}()
	return true
}

// enter registers work that Close must wait for; false once Close began.
// Every true must be matched by n.wg.Done().
func (n *Node) enter() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closing {
		return false
	}
	n.wg.Add(1)
	return true
}

// isLeader reports whether this node is the leader right now.
func (n *Node) isLeader() bool { return n.raft.State() == raft.Leader }

// broadcast wakes every waiter when something changes (here: the leader).
type broadcast struct {
	mu sync.Mutex // guards ch
	ch chan struct{}
}

func newBroadcast() *broadcast { return &broadcast{ch: make(chan struct{})} }

// wait returns a channel closed at the next notify.
func (b *broadcast) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ch
}

func (b *broadcast) notify() {
	b.mu.Lock()
	close(b.ch)
	b.ch = make(chan struct{})
	b.mu.Unlock()
}
