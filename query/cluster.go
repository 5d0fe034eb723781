package query

import (
	"context"

	"github.com/tidwall/gjson"
)

// Cluster queries: answered by the layer that runs a cluster node (package
// replication through the root package), never applied to a value. On a
// database that is not a cluster node they are refused.
type (
	// ClusterJoin adds a node to the cluster as a voter:
	// ["cluster-join", id, raft-addr, client-addr]. Any member accepts it
	// and hands it to the leader.
	ClusterJoin struct {
		ID         string
		RaftAddr   string
		ClientAddr string
	}
	// ClusterRemove removes a node from the cluster: ["cluster-remove", id].
	ClusterRemove struct{ ID string }
	// SetReadConsistency sets the read consistency of the protocol
	// connection it is sent on: ["set-read-consistency", "local"|"linearizable"].
	// The server keeps it per connection and runs later queries with
	// WithReadConsistency; the database itself only validates it.
	SetReadConsistency struct{ Level ReadConsistency }
)

func (ClusterJoin) Name() string            { return "cluster-join" }
func (ClusterRemove) Name() string          { return "cluster-remove" }
func (SetReadConsistency) Name() string     { return "set-read-consistency" }
func (ClusterJoin) IsWrite() bool           { return false }
func (ClusterRemove) IsWrite() bool         { return false }
func (SetReadConsistency) IsWrite() bool    { return false }
func (c SetReadConsistency) Result() string { return `"` + c.Level.String() + `"` }

// ReadConsistency says what a read waits for on a cluster node. A
// standalone database has only one kind of read and ignores it.
type ReadConsistency int

const (
	// ReadLinearizable (the default) reads reflect every write acknowledged
	// anywhere in the cluster before the read began: the node confirms the
	// leader's commit index and waits until it has applied it.
	ReadLinearizable ReadConsistency = iota
	// ReadLocal reads whatever the node has applied: no round trip, but
	// possibly stale on a follower (never older than the node's own
	// acknowledged writes).
	ReadLocal
)

// String returns "linearizable" or "local".
func (c ReadConsistency) String() string {
	if c == ReadLocal {
		return "local"
	}
	return "linearizable"
}

// ParseReadConsistency parses "linearizable" or "local".
func ParseReadConsistency(s string) (ReadConsistency, error) {
	switch s {
	case "linearizable":
		return ReadLinearizable, nil
	case "local":
		return ReadLocal, nil
	}
	return 0, malformed("read consistency must be \"local\" or \"linearizable\", got %s", quoteJSON(s))
}

type readConsistencyKey struct{}

// WithReadConsistency returns a context whose queries read with c.
func WithReadConsistency(ctx context.Context, c ReadConsistency) context.Context {
	return context.WithValue(ctx, readConsistencyKey{}, c)
}

// ReadConsistencyFrom returns the read consistency ctx asks for
// (ReadLinearizable when it asks for none).
func ReadConsistencyFrom(ctx context.Context) ReadConsistency {
	c, _ := ctx.Value(readConsistencyKey{}).(ReadConsistency)
	return c
}

func parseClusterString(q, what string, r gjson.Result) (string, error) {
	if r.Type != gjson.String || r.Str == "" {
		return "", malformed("%s: %s must be a non-empty string, got %s", q, what, compact(r))
	}
	return r.Str, nil
}

func parseClusterJoin(args []gjson.Result) (Query, error) {
	var j ClusterJoin
	var err error
	if j.ID, err = parseClusterString("cluster-join", "node id", args[0]); err != nil {
		return nil, err
	}
	if j.RaftAddr, err = parseClusterString("cluster-join", "raft address", args[1]); err != nil {
		return nil, err
	}
	if j.ClientAddr, err = parseClusterString("cluster-join", "client address", args[2]); err != nil {
		return nil, err
	}
	return j, nil
}

func parseClusterRemove(args []gjson.Result) (Query, error) {
	id, err := parseClusterString("cluster-remove", "node id", args[0])
	if err != nil {
		return nil, err
	}
	return ClusterRemove{ID: id}, nil
}

func parseSetReadConsistency(args []gjson.Result) (Query, error) {
	if args[0].Type != gjson.String {
		return nil, malformed("set-read-consistency: level must be \"local\" or \"linearizable\", got %s", compact(args[0]))
	}
	c, err := ParseReadConsistency(args[0].Str)
	if err != nil {
		return nil, err
	}
	return SetReadConsistency{Level: c}, nil
}
