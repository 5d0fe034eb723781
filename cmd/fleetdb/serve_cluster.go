package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/fleetdb-go/fleetdb"
	"github.com/spf13/pflag"
)

// clusterFlags are serve's cluster flags (docs/clustering.md): with any of them
// the server is a member of a Raft cluster instead of a standalone
// database, and keeps its state in --data-dir instead of a log file.
type clusterFlags struct {
	nodeID            string
	raftAddr          string
	dataDir           string
	bootstrap         bool
	join              string
	snapshotThreshold uint64
	snapshotInterval  time.Duration
	logStore          string

	// Peer security (docs/clustering.md).
	peerTLSCert       string
	peerTLSKey        string
	peerTLSCA         string
	clusterSecret     string
	clusterSecretFile string
}

// clusterFlagNames are the names of the flags of clusterFlags.
var clusterFlagNames = []string{"node-id", "raft-addr", "data-dir", "bootstrap", "join", "snapshot-threshold", "snapshot-interval",
	"log-store", "peer-tls-cert", "peer-tls-key", "peer-tls-ca", "cluster-secret", "cluster-secret-file"}

// standaloneOnlyFlags are serve's flags about the log file, which a cluster
// member does not have (its log is Raft's, always synced).
var standaloneOnlyFlags = []string{"file", "ephemeral", "fsync", "auto-compact"}

// register adds the cluster flags to f.
func (c *clusterFlags) register(f *pflag.FlagSet) {
	f.StringVar(&c.nodeID, "node-id", "", "cluster mode: this member's id (must never change)")
	f.StringVar(&c.raftAddr, "raft-addr", "", "cluster mode: HOST:PORT for Raft traffic between members (reachable by the others)")
	f.StringVar(&c.dataDir, "data-dir", "", "cluster mode: directory of the Raft log, stable store and snapshots")
	f.BoolVar(&c.bootstrap, "bootstrap", false, "cluster mode: form a new cluster with this member alone (first start of the first member)")
	f.StringVar(&c.join, "join", "", "cluster mode: client address (HOST:PORT) of any member to ask for admission (first start)")
	f.Uint64Var(&c.snapshotThreshold, "snapshot-threshold", 0, "cluster mode: take a snapshot after this many log entries (0: 8192)")
	f.DurationVar(&c.snapshotInterval, "snapshot-interval", 0, "cluster mode: how often to check whether to snapshot (0: 2m)")
	f.StringVar(&c.logStore, "log-store", "", "cluster mode: where the Raft log is kept: wal (default; one fsync per append) or bolt (raft-boltdb; a data directory opens only with the store that wrote it)")
	f.StringVar(&c.peerTLSCert, "peer-tls-cert", "", "cluster mode: this member's certificate (PEM) for mutual TLS between members")
	f.StringVar(&c.peerTLSKey, "peer-tls-key", "", "cluster mode: the key of --peer-tls-cert")
	f.StringVar(&c.peerTLSCA, "peer-tls-ca", "", "cluster mode: the CA (PEM) that signed every member's certificate")
	f.StringVar(&c.clusterSecret, "cluster-secret", "", "cluster mode: secret shared by the members to authenticate each other without TLS (default: the -x password)")
	f.StringVar(&c.clusterSecretFile, "cluster-secret-file", "", "cluster mode: the same, read from this file's first line (kept out of the process's arguments)")
}

// enabled reports whether any cluster flag was given a value.
func (c *clusterFlags) enabled() bool {
	return *c != clusterFlags{}
}

// checkServeModes refuses a command line that mixes the standalone
// storage flags with the cluster flags (the log file would be ignored
// without a word otherwise).
func checkServeModes(f *pflag.FlagSet) error {
	var cluster, standalone []string
	for _, n := range clusterFlagNames {
		if f.Changed(n) {
			cluster = append(cluster, "--"+n)
		}
	}
	for _, n := range standaloneOnlyFlags {
		if f.Changed(n) {
			standalone = append(standalone, "--"+n)
		}
	}
	if len(cluster) > 0 && len(standalone) > 0 {
		return fmt.Errorf("%s cannot be used with the cluster flags (%s): a cluster member keeps its state in --data-dir",
			strings.Join(standalone, ", "), strings.Join(cluster, ", "))
	}
	return nil
}

// options returns the ClusterOptions of the flags. clientAddr is where this
// member's protocol server listens (-a and -p, with the port chosen for
// -p 0), published to the other members; password (-x) is also the one
// sent when joining, since every member of a cluster shares it.
func (c *clusterFlags) options(clientAddr, password string, clientTLS bool) (*fleetdb.ClusterOptions, error) {
	o := &fleetdb.ClusterOptions{
		ClusterSecret:     password,
		NodeID:            c.nodeID,
		RaftAddr:          c.raftAddr,
		DataDir:           c.dataDir,
		Bootstrap:         c.bootstrap,
		Join:              c.join,
		JoinPassword:      password,
		ClientAddr:        clientAddr,
		SnapshotThreshold: c.snapshotThreshold,
		SnapshotInterval:  c.snapshotInterval,
	}
	if c.logStore != "" {
		ls, err := fleetdb.ParseLogStore(c.logStore)
		if err != nil {
			return nil, fmt.Errorf("--log-store %q: want wal or bolt", c.logStore)
		}
		o.LogStore = ls
	}
	if c.clusterSecret != "" {
		o.ClusterSecret = c.clusterSecret
	}
	if c.peerTLSCert != "" || c.peerTLSKey != "" || c.peerTLSCA != "" {
		pt, err := fleetdb.LoadPeerTLS(c.peerTLSCert, c.peerTLSKey, c.peerTLSCA)
		if err != nil {
			return nil, fmt.Errorf("--peer-tls-cert, --peer-tls-key and --peer-tls-ca: %w", err)
		}
		o.PeerTLS = pt
	}
	if clientTLS && c.join != "" {
		// The member joined through speaks TLS on its client port: verify
		// it against the cluster's CA (else the system's roots) and show
		// this member's peer certificate, if any.
		o.JoinTLS = &tls.Config{MinVersion: tls.VersionTLS12}
		if o.PeerTLS != nil {
			o.JoinTLS.RootCAs = o.PeerTLS.RootCAs
			o.JoinTLS.Certificates = o.PeerTLS.Certificates
		}
	}
	// The flags the user typed, not the Go fields they fill.
	var missing []string
	for _, f := range []struct{ name, value string }{{"--node-id", c.nodeID}, {"--raft-addr", c.raftAddr}, {"--data-dir", c.dataDir}} {
		if f.value == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("cluster mode needs --node-id, --raft-addr and --data-dir; %s missing", strings.Join(missing, ", "))
	}
	if c.snapshotInterval < 0 {
		return nil, fmt.Errorf("--snapshot-interval %v must not be negative", c.snapshotInterval)
	}
	if c.bootstrap && c.join != "" {
		return nil, errors.New("--bootstrap and --join exclude each other: bootstrap the first member, join the others")
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if c.join != "" {
		if _, _, err := net.SplitHostPort(c.join); err != nil {
			return nil, fmt.Errorf("--join %q: want the HOST:PORT of a member's client port: %w", c.join, err)
		}
	}
	if _, _, err := net.SplitHostPort(c.raftAddr); err != nil {
		return nil, fmt.Errorf("--raft-addr %q: want HOST:PORT: %w", c.raftAddr, err)
	}
	return o, nil
}

// wildcardHost reports whether host (-a) listens on every interface: the
// client address a member publishes (info's member list) is then one the
// others cannot dial. Only informational (members talk over --raft-addr),
// so serve warns instead of refusing.
func wildcardHost(host string) bool {
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}
