package replication

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/query"
	"github.com/hashicorp/raft"
)

// Defaults of Config.
const (
	DefaultApplyTimeout     = 5 * time.Second
	DefaultHeartbeatTimeout = 500 * time.Millisecond
	DefaultElectionTimeout  = 500 * time.Millisecond
	DefaultCommitTimeout    = 10 * time.Millisecond
	DefaultMaxBatch         = 256
	DefaultQueueSize        = 4096
	DefaultMaxAppendEntries = 256
)

// Config configures a Node.
type Config struct {
	// NodeID names the node in the cluster; it never changes.
	NodeID string
	// RaftAddr is the TCP address the node listens on for Raft traffic and
	// for requests forwarded by other members ("host:port"; port 0 picks a
	// free port, see Node.RaftAddr). Other members dial it, so it must not
	// be a wildcard address.
	RaftAddr string
	// ClientAddr is the address clients reach this node's FleetDB protocol
	// server at. It is published to the other members (info's members) and
	// may be empty for an embedded node without a server.
	ClientAddr string
	// DataDir holds the Raft log (wal/, or raft.db with LogStoreBolt), the
	// stable store (raft.db, bolt) and the snapshots (snapshots/). Required.
	DataDir string
	// Bootstrap makes this node form a new one-member cluster if its data
	// directory holds no Raft state yet. Ignored when it does.
	Bootstrap bool
	// Join is the client address (FleetDB protocol) of a member to ask for
	// admission when the data directory holds no Raft state yet; that
	// member hands the request to the leader, which adds this node as a
	// voter. Ignored when the directory holds state (a restart rejoins by
	// itself).
	Join string
	// JoinPassword authenticates the join request when the member's server
	// requires a password.
	JoinPassword string
	// JoinTLS, when set, is the TLS configuration the join request is sent
	// with (the member's client port speaks TLS).
	JoinTLS *tls.Config

	// PeerTLS, when set, authenticates every connection between members
	// (raft, forwarding) by mutual TLS: its Certificates are this member's
	// certificate and its RootCAs the cluster's CA, which must have signed
	// every member's certificate (LoadPeerTLS builds it from PEM files).
	PeerTLS *tls.Config
	// ClusterSecret, when PeerTLS is nil, authenticates every connection
	// between members by a challenge-response on this secret (it never
	// crosses the wire). Every member must have the same one. With neither,
	// peer connections are not authenticated (a warning is logged).
	ClusterSecret string

	// ApplyTimeout bounds how long a write waits for a leader and for its
	// commit, and how long a linearizable read waits for a leader
	// (default 5 s).
	ApplyTimeout time.Duration
	// SnapshotThreshold: a snapshot is taken once this many entries were
	// appended since the last one (0: raft's default, 8192).
	SnapshotThreshold uint64
	// SnapshotInterval: how often the threshold is checked (0: raft's
	// default, 120 s).
	SnapshotInterval time.Duration
	// TrailingLogs: entries kept in the log after a snapshot so that a
	// follower slightly behind catches up without a snapshot (0: raft's
	// default, 10240).
	TrailingLogs uint64
	// HeartbeatTimeout and ElectionTimeout (default 500 ms each): a follower
	// that hears nothing from the leader for about this long starts an
	// election.
	HeartbeatTimeout time.Duration
	ElectionTimeout  time.Duration
	// CommitTimeout: how often raft's leader sends each follower its
	// commit index when no new entries flow (default 10 ms). A follower
	// learns of a commit from the leader's commit notice at once
	// (commitnotify.go); this only backs a notice that could not be
	// delivered. Each such send costs both sides an AppendEntries: at
	// 1 ms they were 10-15 % of the members' system calls per insert.
	CommitTimeout time.Duration
	// MaxBatch is the most writes coalesced into one Raft entry
	// (default 256).
	MaxBatch int
	// QueueSize bounds the writes waiting to be coalesced (default 4096).
	QueueSize int
	// LogStore is where the Raft log is kept (default LogStoreWAL). A data
	// directory is opened only with the log store that wrote it
	// (ErrLogStoreMismatch otherwise).
	LogStore LogStore
	// NoSync turns off fsync of the Raft log (bolt's NoSync). A write is
	// still acknowledged only after a majority stored it, but a power cut
	// on a majority may lose it. For benchmarks and tests.
	NoSync bool
	// Logger receives the node's log and raft's (adapted from hclog);
	// nil discards it.
	Logger *slog.Logger

	// Env is the query environment writes are applied with (user-defined
	// commands); it must be the same on every node.
	Env *query.Env
	// Publish makes a new database value visible to readers. It is called
	// on the state machine's goroutine, once per applied batch of entries
	// and after a snapshot is restored, with the value's Seq set to the
	// Raft index it reflects.
	Publish func(*dbvalue.Value)
	// Changes, when set, is called right after Publish with the steps of
	// the batch (one per writes entry, at its Raft index), or with none
	// and restored true after a snapshot was restored (change feeds).
	Changes func(steps []dbvalue.Step, v *dbvalue.Value, restored bool)

	// leaderHold bounds how long the leader's next entry waits for more
	// writes under load (hold.go); 0 in a Config means the default, a
	// negative value (tests) no wait.
	leaderHold time.Duration

	// network, when set, replaces TCP with an in-process network (the
	// package's tests): the node's transport and forwarding go through it,
	// and its Raft stores live in it (keyed by NodeID) unless DataDir is
	// set.
	network network
}

// network is an in-process replacement of TCP and of the data directory;
// the package's tests implement it (InmemNetwork, with fault injection).
type network interface {
	// raftStores returns the Raft stores of a node, kept across restarts.
	raftStores(nodeID string) (raft.LogStore, raft.StableStore, raft.SnapshotStore)
	// attach connects a node at addr whose forwarded requests h handles,
	// and returns its transport, its forwarding link and what detaches it.
	attach(addr string, h handler) (raft.Transport, link, func() error, error)
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.NodeID == "" {
		return errors.New("replication: Config.NodeID is required")
	}
	if c.RaftAddr == "" {
		return errors.New("replication: Config.RaftAddr is required")
	}
	if c.DataDir == "" && c.network == nil {
		return errors.New("replication: Config.DataDir is required")
	}
	if c.Publish == nil {
		return errors.New("replication: Config.Publish is required")
	}
	if c.Bootstrap && c.Join != "" {
		return errors.New("replication: Config.Bootstrap and Config.Join exclude each other")
	}
	for name, d := range map[string]time.Duration{
		"ApplyTimeout": c.ApplyTimeout, "SnapshotInterval": c.SnapshotInterval,
		"HeartbeatTimeout": c.HeartbeatTimeout, "ElectionTimeout": c.ElectionTimeout,
		"CommitTimeout": c.CommitTimeout,
	} {
		if d < 0 {
			return fmt.Errorf("replication: Config.%s %v is negative", name, d)
		}
	}
	if c.LogStore != LogStoreWAL && c.LogStore != LogStoreBolt {
		return fmt.Errorf("replication: Config.LogStore %v is not a log store", c.LogStore)
	}
	if c.MaxBatch < 0 || c.QueueSize < 0 {
		return errors.New("replication: Config.MaxBatch and QueueSize must not be negative")
	}
	return nil
}

// withDefaults returns c with zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	if c.ApplyTimeout == 0 {
		c.ApplyTimeout = DefaultApplyTimeout
	}
	if c.HeartbeatTimeout == 0 {
		c.HeartbeatTimeout = DefaultHeartbeatTimeout
	}
	if c.ElectionTimeout == 0 {
		c.ElectionTimeout = DefaultElectionTimeout
	}
	if c.CommitTimeout == 0 {
		c.CommitTimeout = DefaultCommitTimeout
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.leaderHold == 0 {
		c.leaderHold = defaultLeaderHold
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Env == nil {
		c.Env = &query.Env{}
	}
	return c
}
