// Package fleetdb is FleetDB for Go embedded in a program: an in-memory
// document database whose whole state is one immutable value behind an
// atomic pointer.
//
//	db, err := fleetdb.Open(fleetdb.Options{})           // ephemeral
//	out, err := db.Query(ctx, []byte(`["select","people",{"where":["=","name","Bob"]}]`))
//
// Reads load the current value and never block on writes. Every read (Query,
// the typed reads, SnapshotContext) passes the same checks: ErrClosed after
// Close, the context, and on a cluster member the read barrier of the
// context's read consistency. Writes of a standalone database are
// serialized by one writer, which applies them, makes them durable (when
// the database has a log) and publishes the new value with one atomic
// store; a write is answered only after that. A cluster member's writes go
// through Raft instead (package replication). docs/architecture.md in the
// repository follows both paths. Served by fleetdb serve, a member's gets
// of one event-loop turn share one read-index round (cluster_batch.go:
// ~25 % less of the members' CPU per linearizable get together with the
// replication package's goroutine-free leader rounds and echoes, docs/
// performance-history.md, Cluster).
//
// Besides the JSON entry point there are typed helpers (Insert, Select,
// UpdateWhere, ...), snapshots, user-defined commands (Register, Call), and
// the ad-hoc transactions of bbolt and buntdb: Update(ctx, func(*Tx) error)
// writes all or nothing, View(ctx, func(*Snapshot) error) reads one
// snapshot. A log records the writes a command or an Update made, so it
// replays without user code.
//
// Insert and Put take records as arguments or as one slice; a struct's
// untagged ID field is stored as the "id" attribute. GetInto decodes one
// record and returns ErrNotFound when there is none. The Go client
// (package client) takes the same records, conditions (Cond) and
// find-options (Find), which marshal to the query language.
//
// Errors carry the classes of the protocol: errors.Is(err, ErrRefused) for
// a refused query (status 1: malformed, constraint violated; nothing
// changed), errors.Is(err, ErrUnavailable) for a failure to carry the query
// out (status 2: closed, I/O failure; the caller may retry).
package fleetdb
