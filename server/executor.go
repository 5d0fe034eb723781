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
// Query runs one request, a JSON query (docs/query-language.md) exactly as received,
// without its line terminator, and returns the JSON result that the server
// sends after status 0. req is valid only during the call: the Executor must
// copy what it keeps. An error matching query.ErrRefused is answered with
// status 1 and err.Error() as the message (which starts with a prefix of
// docs/protocol.md); any other error with status 2 and its message. A refused query
// must not have changed anything. Query is called concurrently from many
// connections; ctx is canceled when the connection is closed by force.
type Executor interface {
	Query(ctx context.Context, req []byte) ([]byte, error)
}

// InlineExecutor is an optional interface of an Executor: queries that
// never wait (reads of a standalone database) are then run on the server's
// event loop itself, with their answer built in the loop's buffer, instead
// of on a goroutine of their own through Query. See the package
// documentation, "Event loop".
//
// AppendQuery runs req, as Query would, if it can do so without waiting for
// anything (no write queue, fsync, lock held by a writer, network round
// trip), appends its JSON result to dst and returns it with ran true; err
// is then the query's error, answered as for Query (the bytes appended are
// discarded). If the query might wait it returns ran false having done
// nothing, and the server calls Query on a goroutine. It must be cheap to
// decline: the server offers it every query except the writes it knows by
// name. req is valid only during the call.
type InlineExecutor interface {
	AppendQuery(ctx context.Context, dst, req []byte) (out []byte, ran bool, err error)
}

// ReadBatchExecutor is an optional interface of an InlineExecutor: when a
// connection has several complete lines waiting (a pipelined batch), the
// event loop offers them to AppendReads before running them one by one
// through AppendQuery. AppendReads answers the longest prefix of lines it
// can answer at once without waiting, reads only, appending for each line
// pre, the JSON result Query would return (never an error) and post to dst;
// it returns dst and the number of lines answered. It answers 0 lines, with
// dst unchanged, for anything else, and must be cheap to decline. The lines
// are valid only during the call. It is offered only the lines of an
// authenticated connection, at most loopBatchLines of them.
type ReadBatchExecutor interface {
	AppendReads(ctx context.Context, dst []byte, lines [][]byte, pre, post []byte) ([]byte, int)
}

// AsyncExecutor is an optional interface of an Executor: queries that wait
// (writes waiting for their fsync) are then started by the server's event
// loop, which goes on with other connections meanwhile and answers each
// when the Executor calls back, instead of running on a goroutine of their
// own through Query. A batch of writes made durable together is then
// answered with one wake-up of the loop.
//
// StartQuery starts req and reports true if it can do so without waiting;
// done is then called exactly once, from any goroutine (possibly before
// StartQuery returns), with what Query would have returned. done does not
// block. req stays valid until done is called. StartQuery returns false
// having done nothing when it cannot start req so; the server then calls
// Query on a goroutine.
type AsyncExecutor interface {
	StartQuery(ctx context.Context, req []byte, done func(out []byte, err error)) bool
}

// BatchExecutor is an optional interface of an Executor: the writes an
// event loop reads in one turn, from all its connections, are then gathered
// in a QueryBatch and started together at the end of the turn, instead of
// one by one through StartQuery. The Executor may commit them on the loop's
// own goroutine, as Redis's event loop does with appendfsync always: one
// fsync for the turn's writes, no goroutine woken, every answer known when
// Commit returns (see the package documentation, "Event loop").
//
// NewQueryBatch returns a new, empty batch; each loop has its own, used by
// its goroutine only.
type BatchExecutor interface {
	NewQueryBatch() QueryBatch
}

// QueryBatch is one event loop's batch of writes (BatchExecutor). It is an
// alias of an unnamed interface type, so that an Executor implements
// BatchExecutor without importing this package.
//
// Add takes req as AsyncExecutor.StartQuery does, reporting true, but may
// hold it until the next Commit; done is then called exactly once, from
// Commit on the caller's goroutine or later from any goroutine, with what
// Query would have returned. done does not block; req stays valid until
// done is called. Add reports false having done nothing when it cannot take
// req; the server then calls StartQuery or Query. Commit starts every
// request added since the last Commit; it may block while it runs them.
type QueryBatch = interface {
	Add(ctx context.Context, req []byte, done func(out []byte, err error)) bool
	Commit()
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
