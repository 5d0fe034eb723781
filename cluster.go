package fleetdb

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/fleetdb-go/fleetdb/query"
	"github.com/fleetdb-go/fleetdb/replication"
)

// ClusterOptions make Open start the database as a member of a Raft
// cluster (docs/clustering.md). Every write is committed by a majority before it is
// acknowledged; a write sent to any member is forwarded to the leader and
// answered once the member that took it has applied it; reads are
// linearizable unless the context asks for ReadLocal.
//
// Every member must register the same user-defined commands
// (Options.Commands): writes are replicated as queries, and a call runs
// again, by name and arguments, on every member.
type ClusterOptions struct {
	// NodeID names this member; it must never change.
	NodeID string
	// RaftAddr is the TCP address for Raft traffic and for requests
	// forwarded between members ("host:port", reachable by the other
	// members; port 0 picks a free port, see DB.ClusterStatus).
	RaftAddr string
	// ClientAddr is where this member's FleetDB protocol server listens,
	// published to the other members (info shows it); "" for a member
	// without a server.
	ClientAddr string
	// DataDir holds the Raft log, stable store and snapshots.
	DataDir string
	// Bootstrap forms a new cluster with this member alone, if DataDir
	// holds no Raft state yet (ignored when it does).
	Bootstrap bool
	// Join is the client address (FleetDB protocol) of any member to ask
	// for admission, if DataDir holds no Raft state yet (ignored when it
	// does: a restarted member rejoins by itself).
	Join string
	// JoinPassword is sent with ["auth", ...] before joining, when the
	// member's server requires it.
	JoinPassword string
	// JoinTLS, when set, is used to reach Join (a member whose client port
	// speaks TLS).
	JoinTLS *tls.Config

	// PeerTLS authenticates every connection between members by mutual
	// TLS: Certificates is this member's certificate and RootCAs the CA
	// that signed every member's (see LoadPeerTLS). Without it,
	// ClusterSecret authenticates them by a challenge-response on a shared
	// secret that never crosses the wire. With neither, anyone who reaches
	// RaftAddr can write, join or remove members; Open logs a warning.
	PeerTLS       *tls.Config
	ClusterSecret string

	// ApplyTimeout bounds how long a write or a linearizable read waits
	// for a leader (default 5 s); then it fails with ErrNoLeader.
	ApplyTimeout time.Duration
	// SnapshotThreshold and SnapshotInterval map to raft's settings: a
	// snapshot is taken when this many entries were logged since the last
	// one, checked at this interval (0: raft's defaults, 8192 and 120 s).
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration
	// TrailingLogs is the number of entries kept behind a snapshot
	// (0: raft's default, 10240).
	TrailingLogs uint64
	// HeartbeatTimeout and ElectionTimeout (default 500 ms): how long
	// followers wait for the leader before they elect another.
	HeartbeatTimeout time.Duration
	ElectionTimeout  time.Duration
	// CommitTimeout is how often the leader sends each follower its commit
	// index when no new entries flow (default 10 ms). Followers learn of
	// commits at once from the leader's commit notices; this only backs a
	// notice that could not be delivered.
	CommitTimeout time.Duration
	// LogStore is where the Raft log is kept: LogStoreWAL (the default,
	// hashicorp/raft-wal: one fsync per append) or LogStoreBolt
	// (raft-boltdb: two). A data directory opens only with the log store
	// that wrote it; the error says what to do.
	LogStore LogStore
	// NoSync skips fsync of the Raft log: a write is still acknowledged
	// only once a majority stored it, but a power cut on a majority may
	// lose it (a process crash loses nothing). For tests and benchmarks.
	NoSync bool
}

// Validate checks the cluster options.
func (o *ClusterOptions) Validate() error {
	switch {
	case o.NodeID == "":
		return errors.New("fleetdb: ClusterOptions.NodeID is required")
	case o.RaftAddr == "":
		return errors.New("fleetdb: ClusterOptions.RaftAddr is required")
	case o.DataDir == "":
		return errors.New("fleetdb: ClusterOptions.DataDir is required")
	case o.Bootstrap && o.Join != "":
		return errors.New("fleetdb: ClusterOptions.Bootstrap and Join exclude each other")
	case o.LogStore != LogStoreWAL && o.LogStore != LogStoreBolt:
		return fmt.Errorf("fleetdb: ClusterOptions.LogStore %v is not a log store", o.LogStore)
	case o.ApplyTimeout < 0 || o.SnapshotInterval < 0 || o.HeartbeatTimeout < 0 || o.ElectionTimeout < 0 || o.CommitTimeout < 0:
		return errors.New("fleetdb: ClusterOptions durations must not be negative")
	}
	return nil
}

// LoadPeerTLS reads a member's certificate and key and the cluster's CA
// (PEM files) into a ClusterOptions.PeerTLS.
func LoadPeerTLS(certFile, keyFile, caFile string) (*tls.Config, error) {
	return replication.LoadPeerTLS(certFile, keyFile, caFile)
}

// LogStore chooses where a cluster member keeps its Raft log.
type LogStore = replication.LogStore

// Log stores (ClusterOptions.LogStore).
const (
	LogStoreWAL  = replication.LogStoreWAL
	LogStoreBolt = replication.LogStoreBolt
)

// ParseLogStore parses "wal" or "bolt".
func ParseLogStore(s string) (LogStore, error) { return replication.ParseLogStore(s) }

// Errors of a cluster member. Both match ErrUnavailable (protocol status 2).
var (
	// ErrNoLeader: no leader was reachable within ApplyTimeout; the write
	// was not applied.
	ErrNoLeader = replication.ErrNoLeader
	// ErrOutcomeUnknown: the write reached the leader, but leadership or
	// the connection to it was lost (or the caller stopped waiting) before
	// the answer: it may or may not have been applied. Its message starts
	// with "write outcome unknown: ".
	ErrOutcomeUnknown = replication.ErrOutcomeUnknown
)

// ReadConsistency says what a read waits for on a cluster member.
type ReadConsistency = query.ReadConsistency

const (
	// ReadLinearizable (the default): a read reflects every write
	// acknowledged anywhere before it began.
	ReadLinearizable = query.ReadLinearizable
	// ReadLocal: a read reflects what this member has applied (no round
	// trip; may be stale, never older than the member's own
	// acknowledged writes).
	ReadLocal = query.ReadLocal
)

// WithReadConsistency returns a context whose reads (DB.Query, the typed
// reads) use c. The protocol's ["set-read-consistency", "local"] does the
// same for a connection.
func WithReadConsistency(ctx context.Context, c ReadConsistency) context.Context {
	return query.WithReadConsistency(ctx, c)
}

// ClusterStatus is a member's view of the cluster (info's "cluster").
type ClusterStatus = replication.Status

// ClusterMember is one member of the cluster's configuration.
type ClusterMember = replication.Member

// clusterNode is a replication.Node as the DB's replicator.
type clusterNode struct {
	n *replication.Node
}

func (db *DB) openCluster(ctx context.Context) error {
	n, err := replication.Open(ctx, db.replicationConfig())
	if err != nil {
		return err
	}
	db.repl = &clusterNode{n: n}
	return nil
}

// replicationConfig is the node's configuration: every field of
// ClusterOptions (TestClusterOptionsCarriedOver fails when one is not
// carried over) and what the DB provides.
func (db *DB) replicationConfig() replication.Config {
	o := db.opts.Cluster
	return replication.Config{
		NodeID:            o.NodeID,
		RaftAddr:          o.RaftAddr,
		ClientAddr:        o.ClientAddr,
		DataDir:           o.DataDir,
		Bootstrap:         o.Bootstrap,
		Join:              o.Join,
		JoinPassword:      o.JoinPassword,
		JoinTLS:           o.JoinTLS,
		PeerTLS:           o.PeerTLS,
		ClusterSecret:     o.ClusterSecret,
		ApplyTimeout:      o.ApplyTimeout,
		SnapshotThreshold: o.SnapshotThreshold,
		SnapshotInterval:  o.SnapshotInterval,
		TrailingLogs:      o.TrailingLogs,
		HeartbeatTimeout:  o.HeartbeatTimeout,
		ElectionTimeout:   o.ElectionTimeout,
		CommitTimeout:     o.CommitTimeout,
		NoSync:            o.NoSync,
		LogStore:          o.LogStore,
		MaxBatch:          db.opts.MaxBatch,
		QueueSize:         db.opts.QueueSize,
		Logger:            db.log,
		Env:               &db.env,
		Publish:           db.cur.Store,
		Changes:           db.clusterChanges,
	}
}

func (c *clusterNode) Write(ctx context.Context, req []byte, q query.Query) ([]byte, error) {
	out, err := c.n.Write(ctx, req, q)
	return out, clusterErr(err)
}

func (c *clusterNode) ReadBarrier(ctx context.Context) error {
	return clusterErr(c.n.ReadBarrier(ctx))
}

func (c *clusterNode) Close() error { return c.n.Close() }

func (c *clusterNode) Join(ctx context.Context, id, raftAddr, clientAddr string) error {
	return clusterErr(c.n.Join(ctx, id, raftAddr, clientAddr))
}

func (c *clusterNode) Remove(ctx context.Context, id string) error {
	return clusterErr(c.n.Remove(ctx, id))
}

func (c *clusterNode) Status() ClusterStatus { return c.n.Status() }

func (c *clusterNode) WaitReady(ctx context.Context) error { return c.n.WaitReady(ctx) }

func (c *clusterNode) Ready() bool { return c.n.Ready() }

func (c *clusterNode) TransferLeadership(ctx context.Context) error {
	return clusterErr(c.n.TransferLeadership(ctx))
}

func (c *clusterNode) WriteStats() writeStats {
	s := c.n.WriteStats()
	return writeStats{requests: s.Writes, batches: s.Entries, maxBatch: s.MaxBatch, pending: s.Pending,
		failed: s.Failed, canceled: s.Canceled}
}

func (c *clusterNode) AppendInfo(dst []byte) []byte {
	dst = append(dst, `"persistent":true,"db-file-size":`...)
	dst = strconv.AppendInt(dst, c.n.DiskSize(), 10)
	dst = append(dst, `,"compacting":false,"cluster":`...)
	dst = c.n.Status().AppendJSON(dst)
	return append(dst, ',')
}

// clusterErr makes a replication failure a status-2 error (matching
// ErrUnavailable) with the replication message unchanged; refusals pass.
func clusterErr(err error) error {
	if err == nil || errors.Is(err, ErrRefused) {
		return err
	}
	return &clusterError{err: err}
}

type clusterError struct{ err error }

func (e *clusterError) Error() string        { return e.err.Error() }
func (e *clusterError) Unwrap() error        { return e.err }
func (e *clusterError) Is(target error) bool { return target == ErrUnavailable }

// clusterQuery answers cluster-join, cluster-remove and
// set-read-consistency.
func (db *DB) clusterQuery(ctx context.Context, q query.Query) ([]byte, error) {
	switch q := q.(type) {
	case query.SetReadConsistency:
		// The server keeps the setting per connection; here it is only
		// validated and echoed.
		return []byte(`"` + q.Level.String() + `"`), nil
	case query.ClusterJoin:
		if err := db.ClusterJoin(ctx, q.ID, q.RaftAddr, q.ClientAddr); err != nil {
			return nil, err
		}
		return []byte("true"), nil
	case query.ClusterRemove:
		if err := db.ClusterRemove(ctx, q.ID); err != nil {
			return nil, err
		}
		return []byte("true"), nil
	}
	return nil, fmt.Errorf("fleetdb: %s is not a cluster query", q.Name())
}

// cluster returns the database's cluster node, or a refusal when it is not
// a cluster member.
func (db *DB) cluster() (replicator, error) {
	if db.repl == nil {
		return nil, &query.Error{Kind: query.KindMalformedQuery, Msg: "Malformed query: this database is not a cluster member"}
	}
	return db.repl, nil
}

// WaitReady returns once the database can answer its first query without
// a catch-up: at once for an ephemeral or standalone database; for a
// cluster member once it knows the leader and has applied the leader's
// commit index as of its start (docs/clustering.md: a member announces that it is
// ready only then). A server logs its ready line after it. Errors: ctx's,
// or ErrClosed.
func (db *DB) WaitReady(ctx context.Context) error {
	if db.repl == nil {
		return nil
	}
	if err := db.repl.WaitReady(ctx); err != nil {
		if errors.Is(err, replication.ErrClosed) {
			return ErrClosed
		}
		return fmt.Errorf("fleetdb: cluster member not ready: %w", err)
	}
	return nil
}

// ClusterJoin adds a member (a voter) to the cluster; any member accepts
// it and hands it to the leader. ["cluster-join", id, raft-addr,
// client-addr] does the same.
func (db *DB) ClusterJoin(ctx context.Context, id, raftAddr, clientAddr string) error {
	c, err := db.cluster()
	if err != nil {
		return err
	}
	return c.Join(ctx, id, raftAddr, clientAddr)
}

// ClusterRemove removes a member from the cluster; any member accepts it.
// ["cluster-remove", id] does the same.
func (db *DB) ClusterRemove(ctx context.Context, id string) error {
	c, err := db.cluster()
	if err != nil {
		return err
	}
	return c.Remove(ctx, id)
}

// ClusterStatus returns this member's view of the cluster; false when the
// database is not a cluster member.
func (db *DB) ClusterStatus() (ClusterStatus, bool) {
	c, err := db.cluster()
	if err != nil {
		return ClusterStatus{}, false
	}
	return c.Status(), true
}

// TransferLeadership hands leadership from this member (the leader) to
// another voter and waits until it has, or until ctx ends (the transfer
// then goes on, and ends by itself within about an election timeout).
func (db *DB) TransferLeadership(ctx context.Context) error {
	c, err := db.cluster()
	if err != nil {
		return err
	}
	return c.TransferLeadership(ctx)
}
