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
// Serve accepts a connection and hands it to an event loop (plain TCP on
// Linux; see "Event loop") or gives it a goroutine of its own (TLS, other
// systems). Either way the connection's request lines are read, run through
// the Executor and answered, with the same answers, order and limits:
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
// waiting (or 16 KiB, 64 KiB on a loop, have piled up), so a burst of
// requests costs one write system call for all its answers.
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
// # Event loop
//
// On Linux the connections of a plain TCP listener are served by event
// loops (one per two processors; FLEETDB_EVENT_LOOPS sets the number, 0
// turns them off), the way Redis serves its clients, because a goroutine
// per connection costs, per request, a read that fails with EAGAIN, a trip
// through Go's poller and a goroutine wake-up: 3.4 system calls per get
// against Redis's 2.1, measured with perf stat. A loop owns an epoll set
// (edge-triggered) and one goroutine:
//
//	epoll_wait (a blocking system call; its timeout is the next deadline)
//	│
//	▼
//	for each ready connection:
//	    read once into the loop's 64 KiB buffer (a read that does not fill
//	    it drained the socket: the next input brings a new event)
//	    for each complete line (protocol.Splitter):
//	        two or more complete lines, authenticated, and a
//	        ReadBatchExecutor answers a prefix of them?
//	                                              append their answers and go
//	                                              on after them (see below)
//	        answered by the server itself?        append the answer
//	        InlineExecutor.AppendQuery ran it?    append the answer (reads)
//	        a write and a BatchExecutor?          add it, and the writes that
//	                                              follow it in the input, to
//	                                              the turn's batch; the
//	                                              connection is busy
//	        otherwise: the connection is busy; AsyncExecutor.StartQuery
//	        or Query on a goroutine; the loop goes on with other connections
//	    hold the answers for the end of the turn
//	callbacks of finished queries (an eventfd wakes the loop): append each
//	answer, go on with the connection's buffered lines
//	deadlines (read, idle, write, drain, linger): checked in one scan when
//	the earliest passes
//	write the held answers: one write system call per connection
//	the turn's batch: QueryBatch.Commit (see below); then its answers as
//	for callbacks, and write them
//
// Answers are written at the end of the turn, as Redis's loop writes them
// before it waits again, not as each connection is served: every write
// wakes a client, which on a machine whose cores the clients share took
// the loop's core while it still had connections to serve (gets, A/B pairs
// on a quiet machine: 5-10 % fewer in the same time, more of it idle). A connection whose
// socket did not take its earlier answers, whose answers reach 64 KiB, or
// which is closing or starting a watch writes at once.
//
// A get costs one read and one write (and a share of one epoll_wait). The
// writes of a turn, from all the loop's connections, are committed at its
// end: when the database's single writer is idle, *fleetdb.DB applies them,
// appends them to the log and fsyncs it once, and publishes them, all on
// the loop's goroutine, so that their answers are known when Commit returns
// and no goroutine is woken; this is Redis's way with appendfsync always
// (its loop blocks in the fsync too, while requests pile up for the next
// turn). When the writer is busy (writes from TLS connections or the Go
// API), they are queued for it as through StartQuery, and answered through
// the callbacks. A durable insert then costs a read, a write and 1/30 of an
// epoll_wait and of an fsync, as on Redis (perf stat: 2.13 system calls per
// insert against Redis's 2.09; before, with every write handed to the
// writer goroutine and back, 2.7 and twice the context switches). A run of
// pipelined writes on one connection (up to 64) goes into one batch and is
// answered in order; the line that ends the run (a read, which must see
// them, or anything the server answers itself) waits for their answers.
// How many writes one commit (one fsync) takes is the Executor's bound
// (fleetdb.Options.MaxBatch: 256 by default, 4096 in fleetdb serve, so that
// 64 connections pipelining 32 writes each share one fsync per turn).
//
// A run of pipelined point reads is offered whole (up to 64 lines) to a
// ReadBatchExecutor: *fleetdb.DB answers the longest prefix of reads by id
// of one collection from one view, looking their records up together so
// that their cache misses overlap (collection.Collection.GetMany). At 100,000
// records, 64 connections pipelining 32 gets each: the server's CPU per get
// fell from 0.63-0.70 µs to 0.41 µs, and gets per second rose by a third
// (docs/pipe-compare.sh). Each read is still counted and timed in the
// metrics (with the batch's time), and a write in the run ends the prefix, so
// that the reads after it see it.
//
// The loop blocks in epoll_wait itself while it answers its queries
// itself: registered with Go's network poller, its epoll descriptor woke an
// idle runtime thread for every request that arrived while the loop was busy
// (in a commit's fsync, say: 0.2-0.4 extra epoll_pwait per request). The
// loop then enters Go's scheduler only through system calls, so sysmon
// would take its processor every 10 ms and poll every 20 us (5 % of the CPU
// of a get): every 5 ms it yields, unless a collection ended meanwhile, as
// a yield while one runs can hand the processor to its mark worker for
// milliseconds. When more than one query in 8 runs on another goroutine (a
// cluster member's, or an Executor without InlineExecutor), whose answers
// must wake the loop, it waits in Go's poller instead (a duplicate of the
// descriptor registered there), until fewer than one in 32 do: a goroutine
// woken often out of a system call loses its processor to sysmon (in-process
// ping through Query: 78 us per request in epoll_wait, 11 in the poller).
// Round trips between a client and the server in one process remain
// slower in epoll_wait than in the poller, which handed over from the
// client's goroutine to the loop on one thread (ping, one connection: 15 us
// against 4.5); across processes that advantage does not exist. While it
// waits in epoll_wait and finds more than one connection ready at a time,
// the loop keeps its goroutine on one thread (loopthread_linux.go): moved
// from thread to thread, it spread its process's share of the cores over
// both, and a service in a session or cgroup of its own lost part of its
// share to its clients. A lone client, one request at a time, is served a
// third faster by a loop that does not keep its thread, so after 256
// waits in a row that find one connection ready the loop lets it go.
//
// Clients on the same machine. Each answer's write wakes the client thread
// waiting for it, and the kernel put nearly every client woken by the loop
// on the loop's core (a sched_switch trace). With a load generator on the same two cores, 64 connections of
// gets, the woken client threads took the loop's core while the loop still
// had connections to serve (the loop waited 2.6 us per get in the run
// queue) and the other core idled (14-18 % of the machine); the
// generator's threads went to sleep and were woken 0.13-0.19 times per get
// against 0.04-0.07 with Redis, hence its higher CPU per get (futex,
// epoll_pwait, nanosleep). Neither the answers' size nor their grouping
// was the cause (a turn capped at 8 events, or answers written every 8
// connections: no better). Nor is it Redis's design: Redis daemonizes, so
// it runs in a session, hence an autogroup, of its own, whose share of a
// core the generator's threads do not take; Redis started in the
// generator's session did as fleetdb does (140 k gets/s, 15.8 % idle,
// 0.14 generator sleeps per get), and fleetdb started with setsid(1) as
// Redis does (178 k, the same as daemonized Redis's 178 k in the same
// round). Config.LoopNice (fleetdb serve --loop-nice) gives the loops'
// threads a nice value; at -5 the generator's threads slept 0.02-0.04
// times per get. It is off by default: a server that raises its priority
// takes the processor from whatever else runs on the machine, which is
// the operator's choice (as nginx's worker_priority), and at -5 the
// loop's CPU per get rose (it waits in epoll_wait more often) and so did
// the p99 of gets (the generator's goroutines are served less evenly);
// durable and pipelined inserts gained nothing.
//
// A connection keeps bytes of its own only for a partial line, the lines
// behind a query in flight, or answers the network did not take: while
// those wait, the connection is not read (as a goroutine blocked in a
// write would not read). A connection is never served by two goroutines:
// while its query runs elsewhere the loop leaves it alone.
//
// TLS connections (Config.TLS) keep a goroutine each: the handshake and the
// record layer are crypto/tls's, which works on a net.Conn. So does any
// listener that is not a *net.TCPListener. Features that need a connection
// to receive input from elsewhere (pushed events) can either post to the
// loop the way query callbacks do (loop.complete) or keep such connections
// on the goroutine path.
//
// # Concurrency contract
//
// A Server is safe for concurrent use: Serve may run on several listeners at
// once, and Shutdown, Addr, Healthy and the HTTP handler may be called from
// any goroutine. Each connection is served by one goroutine at a time (its
// own, or its event loop's), which alone uses its buffers; the Executor's
// methods are therefore called concurrently for many connections, one query
// at a time per connection, except for a run of pipelined writes added to a
// loop's QueryBatch together. The request bytes passed to Query and
// AppendQuery are valid only during the call, those passed to StartQuery
// and QueryBatch.Add until done is called. Each loop has its own
// QueryBatch, used by the loop's goroutine only. The goroutines the Server starts (connections'
// goroutines, event loops, queries run through Query from a loop) are
// joined by Shutdown.
package server
