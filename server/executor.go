package server

import (
	"context"
	"errors"

	"github.com/fleetdb-go/fleetdb/protocol"
	"github.com/fleetdb-go/fleetdb/query"
)

// Executor runs queries: a standalone database (*fleetdb.DB), a cluster
// node, or a test double.
//
// Query runs one request, a JSON query (SPEC §4) exactly as received,
// without its line terminator, and returns the JSON result that the server
// sends after status 0. req is valid only during the call: the Executor must
// copy what it keeps. An error matching query.ErrRefused is answered with
// status 1 and err.Error() as the message (which starts with a prefix of
// SPEC §3); any other error with status 2 and its message. A refused query
// must not have changed anything. Query is called concurrently from many
// connections; ctx is canceled when the connection is closed by force.
type Executor interface {
	Query(ctx context.Context, req []byte) ([]byte, error)
}

// StatsSource is an optional interface of an Executor: when the Executor
// implements it, its figures are exported as metrics at every scrape, and
// Healthy reports StatLogFailed.
//
// MetricsSnapshot returns the current figures by name. A name is a
// Prometheus metric name without the "fleetdb_db_" prefix that the server
// adds, in snake_case with the unit in it ("log_size_bytes",
// "log_fsync_seconds_total"). Names ending in "_total" are exported as
// counters (their values must only grow), the others as gauges. It must be
// cheap and safe to call from any goroutine; names may come and go between
// calls.
type StatsSource interface {
	MetricsSnapshot() map[string]float64
}

// StatLogFailed is the StatsSource figure that is 1 when the Executor's log
// has failed and writes are refused: /healthz then answers 503.
const StatLogFailed = "log_failed"

// StatReady is the StatsSource figure of a cluster member: 0 until it has
// caught up with the cluster after it opened (/healthz answers 503 until
// then), 1 after. An Executor without it is always ready.
const StatReady = "ready"

// statusOf maps an Executor's error to the protocol status of its answer.
func statusOf(err error) protocol.Status {
	if errors.Is(err, query.ErrRefused) {
		return protocol.StatusRefused
	}
	return protocol.StatusFailed
}
