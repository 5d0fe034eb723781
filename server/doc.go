// Package server is FleetDB's TCP server: the JSON-lines protocol of docs/protocol.md
// (package protocol frames it) in front of anything that runs queries. It
// owns connections, authentication, request limits, pipelining, graceful
// shutdown and the HTTP /metrics and /healthz endpoints. It knows the query
// language only enough to recognise ["auth", password] and to name a query
// for metrics; running queries is the Executor's business, so one server
// serves a standalone database and a cluster node alike.
//
//	db, _ := fleetdb.Open(fleetdb.Options{Path: "app.fdb"})
//	srv, _ := server.New(db, server.Config{Addr: "127.0.0.1:3400", Password: "secret"})
//	go srv.ListenAndServe(ctx)
//	...
//	srv.Shutdown(ctx) // stop accepting, finish queries in flight
//	db.Close()
//
// # Life of a connection
//
// Serve accepts a connection and gives it a goroutine of its own, which
// reads request lines, runs each through the Executor and writes the answer:
//
//	accept ── over MaxConns? ── [2,"too many connections"], close
//	   │
//	   ▼
//	read a line ◄──────────────────────────────────────────────┐
//	   │ blank (only spaces, tabs, "\r")? ignore it ───────────┤
//	   │ longer than MaxRequestBytes? [1,"Request too large: …"]┤ (rest of line skipped)
//	   │ password set, not yet authenticated?                  │
//	   │    ["auth", right] → [0,"auth accepted"] ─────────────┤
//	   │    ["auth", wrong] → [1,"auth rejected"], close       │
//	   │    anything else   → [1,"auth needed"], close         │
//	   │ ["auth", …] otherwise → [0,"auth unneeded"] ──────────┤
//	   │ shutting down? → [2,"shutting down"] ─────────────────┤
//	   │ ["set-read-consistency", level] → [0, level] ─────────┤ (kept on the connection)
//	   ▼                                                       │
//	Executor.Query(ctx, line)                                  │
//	   nil error            → [0, result]                      │
//	   query.ErrRefused     → [1, message]                     │
//	   any other error      → [2, message]                     │
//	   │                                                       │
//	   └─ buffered; flushed when no more input is buffered ────┘
//
// Lines end with "\r\n" or a bare "\n". Blank lines are ignored without an
// answer, so that a person typing into telnet or nc may press Enter freely.
// A malformed request is answered (status 1) and the connection goes on;
// only the authentication failures above close it.
//
// Read consistency: ["set-read-consistency", "local"|"linearizable"] is
// answered by the server itself, never passed to the Executor: the level
// belongs to the connection, and every later query on it runs with
// query.WithReadConsistency(ctx, level), which a cluster node reads (local
// reads skip the round trip to the leader; see docs/clustering.md). A connection that
// never sets it passes its plain ctx (linearizable), at no cost per query.
//
// Pipelining: a client may send many lines without waiting. They are read
// and answered one after the other, in order; answers are written into a
// buffer that is flushed only when the connection has no more received input
// waiting, so a burst of requests costs one write system call for all its
// answers.
//
// # Timeouts
//
//   - ReadTimeout: once the first byte of a request has arrived, the rest of
//     its line must arrive within ReadTimeout (counted from the first read
//     that waits for more), otherwise the connection is closed. This bounds
//     what a slow sender ("slowloris") can hold.
//   - IdleTimeout: a connection with no request in progress is closed after
//     this long without input (0: never).
//   - WriteTimeout: a flush of answers that cannot make progress for this
//     long (about; the deadline is renewed lazily) closes the connection.
//
// # Shutdown
//
// Shutdown closes the listeners, so no connection is accepted any more.
// Queries already running finish and get their answers. Every request read
// afterwards, including pipelined lines already received, is answered
// [2,"shutting down"] without running. Each connection goes on reading for a
// short drain window (100 ms, counted from Shutdown for an idle connection,
// whose read deadline wakes it, and from the end of its query for a busy
// one), answering so, and is then closed. Shutdown returns when every
// connection goroutine has exited, or when its ctx ends: then the remaining
// connections are closed by force and the ctx of the queries still running
// is canceled.
//
// # Concurrency contract
//
// A Server is safe for concurrent use: Serve may run on several listeners at
// once, and Shutdown, Addr, Healthy and the HTTP handler may be called from
// any goroutine. Each connection is served by exactly one goroutine, which
// alone uses the connection's reader and writer; the Executor's Query is
// therefore called concurrently from many connection goroutines, one query
// at a time per connection. The request bytes passed to Query are valid only
// during the call. Every goroutine the Server starts is a connection's and
// is joined by Shutdown.
package server
