// Package replication runs a FleetDB database as a member of a Raft cluster
// (github.com/hashicorp/raft); it is the only package that imports raft.
//
// # What it owns
//
// A Node: the Raft node, its stores (the log in raft-wal, on zero-filled
// segments synced with fdatasync (walfs.go), or in raft-boltdb
// with LogStoreBolt; the stable store in raft-boltdb; raft's file snapshot
// store; all in the data directory, whose layout tells which log store
// wrote it: store.go), its transport (wrapped by peerTransport, which
// retries replication to a returning member every 100 ms instead of raft's
// back-off of up to 10.24 s, records each member's last answer and the
// commit index raft sent it, and wraps raft's append pipelines so that a
// rejected entry cannot deadlock them: pipeline.go), the
// state machine (fsm), the write path and the read barrier.
// The database value itself is published through Config.Publish: the root
// package keeps it behind its atomic pointer, and reads never touch this
// package except for the barrier.
//
// # Writes
//
//	caller ── Write ──► coalescer (pending writes, bounded by QueueSize)
//	                       │ sender goroutine: takes up to MaxBatch writes,
//	                       │ encodes them as one entry, starts commitBatch
//	                       ▼
//	            commitBatch goroutine
//	     leader?  raft.Apply(entry) ── commit ── fsm.ApplyBatch ── answer
//	              (one entry in flight; the writes of forwarded entries
//	              join the leader's queue and its next entry)
//	     follower: forward the entry to the leader ("W" request), get the
//	               index and results, wait until this node applied index
//	               (several in flight)
//
// The leader keeps one entry of its own in flight: every write that
// arrives while it is being committed, its own or forwarded, goes into the
// next one, so that entries are large (coalesce.go). As
// soon as the leader has applied an entry it sends a commit notice to each
// follower that raft has not yet told (commitnotify.go), so that a write
// taken by a follower does not wait for raft's next append or its 1-2 ms
// commit timeout before the follower applies it. The
// state machine applies the writes of all entries of one ApplyBatch into
// one dbvalue.Txn with query.Apply (the function of the standalone path)
// and publishes one value, whose Seq is the last entry's Raft index.
// Refused writes are deterministic, so every node refuses the same ones.
//
// Leader hold (hold.go): when the leader's previous entry carried 8 or
// more writes (several writers busy), its next entry waits, at most 1 ms,
// until as many writes are pending. Most of a member's CPU per replicated
// insert is per entry (the log's sync on every member, raft's append and
// its answer, commit notices, forwarded requests, the wake-ups between
// them), and right after a commit the writes its answers released are
// still on their way back (the followers' forwarded entries, the clients'
// next writes): an entry sent at once leaves them for the one after. A
// lone writer, or a few, never wait. Measured (three serve processes on
// two cores, docs/cluster-cpu.sh, 64 connections of inserts, same
// binary, hold off against on, interleaved): 24.8k, 25.3k, 25.4k inserts/s
// at 54.5, 51.6, 51.8 µs of the members' CPU per insert, 28 writes per
// entry, p50 2.4-2.5 ms; with 1 ms, 30.7k, 30.2k at 38.6, 38.3 µs, 60
// writes per entry, p50 2.0 ms, p99 4.0 against 4.8-5.0 ms (2 ms: the same
// as 1 ms; 300 µs and 500 µs: 24.9-27.0k, in between; the same hold on a
// follower's forwarded entries: within the noise, p99 worse); 16 connections 8.6k
// → 11.1k inserts/s, p50 1.78 → 1.39 ms; 1 and 4 connections unchanged
// (p50 0.81-0.82 and 1.56-1.57 ms). Nothing else changes: a write is still
// answered only once its entry is committed and applied, so linearizability
// and durability are those of any delay before the write reached the leader.
//
// StartWrite is Write without waiting: the write is queued with a
// callback, which commitBatch calls instead of waking a waiting goroutine
// (a server's event loop starts a member's writes this way).
//
// Failures: while no leader is known a write waits (ApplyTimeout, default
// 5 s) and then fails with ErrNoLeader: nothing was applied. A write handed
// to a leader that then lost leadership, or whose answer was lost with the
// connection, or whose caller stopped waiting, fails with ErrOutcomeUnknown
// ("write outcome unknown: ..."): it is applied everywhere or nowhere.
//
// # Reads
//
// ReadBarrier implements Raft's read index (§6.4 of the Raft thesis). On
// the leader: wait until an entry of the current term is applied (every
// new leader commits one, entry type N, so that its commit index is
// current), record the commit index, confirm leadership with heartbeats
// of its own sent after that, answered by a majority (leadercheck.go; not
// raft.VerifyLeader, which may count the answer of a heartbeat sent before
// the read began), check the term did not change, and wait until
// the state machine applied the recorded index. On a follower: ask the
// leader for that index ("R" request) and wait until applied locally.
// Concurrent readers share rounds: a reader joins the next round, never
// one already running; up to two rounds run at once. A context carrying
// query.ReadLocal skips all this. StartReadBarrier joins a round with a
// callback instead of waiting: one goroutine per round waits until the
// round's index is applied and calls back all of its readers (async.go).
// The leader's confirmation asks the other voters for their current term
// over the forwarding link (opConfirm), as few as a majority needs first.
// A follower's read index needs no confirmation when the follower and the
// leader make a majority (below). A member answers pings, confirmations
// and (the leader) such read indexes on the forwarding connection's
// goroutine (handleQuick), without a goroutine per request; a follower's rounds
// run without a goroutine of their own (roundsasync.go): the first
// reader's goroutine sends the request when fewer than two rounds run,
// and the answer, on the link's reader goroutine (tcpLink.start), ends
// the round, starts the next one for the readers who arrived meanwhile,
// and runs the round's reads when this node has applied the index. The
// leader's own rounds do the same (leaderasync.go): the round records the
// commit index on the goroutine that starts it and asks one other voter
// for the confirmation (opConfirm) without waiting, or, while followers
// read, waits for an echo instead (below).
//
// # Batches of reads: a server loop's turn
//
// StartReadBarriers (readbatch.go) joins several reads to the next round
// at once and only then starts it (if fewer than two run): the root
// package's QueryBatch of a member hands it the gets an event loop read
// in one turn, at the end of the turn. StartReadBarrier, once per get,
// started a round for the first get of a turn and a second one for the
// next before the turn's other gets had arrived. The reads of a batch
// all began before the call and join a round that has not started, so
// nothing changes for linearizability.
//
// # Echoes: the leader's confirmation riding on followers' requests
//
// The leader numbers its answers to the followers' read-index requests
// and a follower's next request echoes the term and number of the last
// answer it received and, read after that, its own term (echo.go): an
// echo of an answer numbered after a leader's round recorded its index,
// of the round's term, from a voter whose term is still that term, proves
// what an opConfirm answer proves (that voter had not voted in a later
// term at a moment after the round's reads began), without a frame of
// its own. The leader's round waits for an echo only while they arrive
// (one within the last millisecond), and asks with opConfirm after 2 ms
// without one. The argument is in echo.go.
//
// # A follower's read index: the asker is one of the majority
//
// A follower's read-index request ("R") names the follower. When that
// follower is a voter of the leader's configuration and, with the leader,
// makes a majority of its voters (two or three voters), the leader does
// not confirm its leadership with anyone: it checks that it leads in term
// T, that an entry of T is applied, records its commit index c, checks
// that its term is still T, and answers (c, T) at once. The follower
// accepts the answer only if its own current term is still T when the
// answer arrives; otherwise the round fails with ErrNotLeader and its
// reads try again (a new round, possibly with a new leader). With four or
// more voters, or a request that names no voter (an older member sends
// none), the leader confirms as before and answers c alone, which the
// follower takes as it is (an older leader, which ignores the name, does
// the same).
//
// Why that is linearizable. Let t0 be when the first read of the
// follower's round began (before the request was sent), t1 when the
// leader recorded c (after it received the request) and t2 when the
// follower compared its term (after the answer arrived): t0 < t1, t0 <
// t2. A read must reflect every write acknowledged before t0. Such a
// write was committed before t0 by the leader of some term U.
//
//  1. No leader of a term U > T was elected before t0. Its election needed
//     the votes of a majority M' of the voters. Raft stores a term before
//     it acts in it: a member sets its current term to U before it grants
//     a vote in U or, as a candidate, votes for itself (hashicorp/raft
//     requestVote and electSelf call setCurrentTerm first; it is written
//     to the stable store before the in-memory term that CurrentTerm
//     reads, so a restart does not lower it), and a term never decreases.
//     M' and {leader, follower} are both majorities of the voters, so they
//     share a member, which would then have had a term ≥ U > T from
//     before t0 on: but the leader's term was T at t1 and the follower's
//     at t2, both after t0. (The configuration is the leader's latest, as
//     in confirmLeader: raft changes it one server at a time, so the
//     majorities of consecutive configurations intersect.)
//  2. So U ≤ T. If U < T, the write's entry is in the leader's log before
//     its first entry of T (Raft's leader completeness), which is
//     committed: the leader applied an entry of T before recording c, and
//     c ≥ that entry. If U = T, the leader committed the write itself,
//     and its commit index, which only grows, had passed the write's
//     index before the write was acknowledged (a follower applies an
//     entry only once the leader says it is committed), so before t1.
//     Either way c is at least the write's index, and the follower,
//     which waits until it has applied c, reflects it.
//
// A leader change between the request and the answer: if the leader's
// term changed before it recorded c, it refuses ("not the leader"); if
// the follower voted in, or started, a later election before the answer
// arrived, its term is no longer T and it refuses the answer; if neither,
// a leader of a later term was elected with the vote of the leader (cast
// after t1) or of the follower (after t2), so after t0: the writes it
// acknowledges are concurrent with the read, which may or may not see
// them. The leader need not even still lead when it answers. This is the
// same guarantee as the leader's own confirmation (the follower's term at
// t2 is what an opConfirm answer would have told), without asking
// anyone: a follower's read costs the leader one frame in and one out.
//
// Measured (three serve processes on two cores, 64 connections of
// linearizable gets spread over them, docs/cluster-cpu.sh, main and this
// change interleaved, three pairs): the members' CPU per get 20.0-20.6 →
// 15.1-16.7 µs, gets/s 56.7-60.6k → 66.0-74.7k, system calls per get
// 4.48-4.72 → 4.11-4.34, context switches 0.74-0.79 → 0.56-0.60; inserts
// unchanged (later pairs, under more of the other load: 17.0 → 16.1 µs,
// 48.9k → 59.2k gets/s, medians of five). Of that, dropping the leader's confirmation for followers'
// requests was about half (18.8 → 16.1 µs in one pair), the quick
// answers and the follower's rounds without goroutines the rest. Tried
// and dropped then, within the noise: the leader's own rounds without
// goroutines (opConfirm through tcpLink.start: more, emptier rounds;
// taken later with the batches, below), one round in flight instead of
// two (fuller rounds: 8.5 instead of 5.5 reads each on a follower, the
// same CPU), running a leader round's reads on the round's goroutine.
//
// Batches, the leader's rounds without goroutines and echoes (seventh
// round; docs/cluster-cpu.sh BIN get, interleaved, docs/performance-history.md,
// "Linearizable gets in batches"): on a quiet machine main spent 11.8 µs of the
// members' CPU per get at 92.7k gets/s; batches alone 7.9-11.3 µs
// against main's 10.4-13.1 µs in the same (loaded) sessions, with a
// follower's round serving 7.5-9.4 gets instead of 5.4-5.6; the leader's
// rounds without goroutines on top 8.3-10.8 µs against 9.3-11.3; echoes
// 8.8-9.2 against 9.5 µs (the leader's own 3.2-3.4 against 3.8 µs). All
// of it against main, three pairs: 12.0-12.2 → 9.0-9.3 µs per get,
// 99.8-101.6k → 115.5-120.1k gets/s, inserts unchanged (29.4-30.3k
// against 29.8-30.4k): gets at 3.8-4.0 × the inserts, not the 5 × of the
// issue (docs/performance-history.md).
//
// # Ready
//
// From Open, a goroutine runs read barriers until one succeeds: then the
// node is Ready (it knows the leader and has applied the leader's commit
// index as of then), and WaitReady returns; a server says it is ready only
// after that.
//
// # The log's files
//
// With raft-wal, every member syncs its log once per Raft append it
// stores, and under load that sync was the largest single cost of a member
// (fsync 18-24 % of each member's CPU in pprof, three members, 64
// connections of inserts). raft-wal preallocates a segment with fallocate,
// leaving unwritten extents: each sync then also committed ext4's journal
// (the extent conversion), whether fsync or fdatasync. The node gives
// raft-wal a file system of its own (walfs.go) whose segments are written
// full of zeros before use and synced with fdatasync: a sync flushes the
// data only. Measured on the 2-core VM, 6 kB appends each synced: 200-230
// µs wall and 75-82 µs CPU per sync on a fallocated file, 135 µs and 48-51
// µs on a zero-filled one. The next segment is zeroed in the background as
// a spare (64 MiB: ~13 ms of CPU, ~40 ms wall) and linked in when raft-wal
// rotates, so the write path does not wait for it; only the first segment
// of a new log is zeroed in place (at start). A spare costs one segment of
// disk and is removed at open if a crash left it. The file contents are
// what they were (zeros past the last record), so raft-wal's recovery is
// unchanged. Three members, docs/cluster-cpu.sh with PERF=1, main and this
// interleaved, three pairs: the members' CPU per replicated insert 61.5,
// 63.2, 62.8 → 58.0, 59.4, 60.2 µs, inserts/s 22.1k, 21.0k, 21.2k →
// 23.5k, 23.2k, 22.7k.
//
// # Log entries
//
// Every command entry starts with a type byte:
//
//	'W' writes:  uvarint n | n × (uvarint len | query JSON)
//	'M' member:  uvarint len | node id | uvarint len | client address
//	             (an empty address forgets the member)
//	'N' leader:  nothing; a new leader's first entry of its term
//
// # Snapshots
//
// Snapshot captures the current immutable value and the members map in
// O(1); Persist streams them while writes go on:
//
//	"FLEETDB-RAFT-SNAPSHOT-1\n"
//	uvarint len | 'M' uvarint n | n × (id, client address)
//	uvarint len | dbvalue snapshot record     ('H', 'C', 'R'..., 'E')
//	...
//
// Restore rebuilds the value with dbvalue.Loader (builders).
//
// # Forwarding
//
// Members talk to the leader over the Raft port: a connection whose first
// byte is 'F' (raft's own connections start with an RPC type, 0 to 4)
// carries, after a version byte, frames in both directions:
//
//	uvarint length | uvarint request id | code byte | payload
//
// where code is the operation of a request (W write entry, R read index:
// the asker's id and, after a zero byte, its echo, answered with the
// index and, when the asker must check it, the term and the answer's
// number; J join, X remove, M member entry, P ping, C confirm: the
// receiver's current term) and the status of an answer (0 ok,
// 1 not the leader, 2 outcome unknown, 3 failed). Requests are pipelined
// on one connection per member and answered out of order. The package's
// tests replace TCP with an in-process network of their own (raft's
// in-memory transport and direct calls, with fault injection); nothing of
// it is in the package's API.
//
// # Membership
//
// Bootstrap forms a one-member cluster; Join (any member; forwarded to the
// leader) adds a voter and records its client address; Remove removes one.
// Config.Join asks a member, over the FleetDB protocol at its client
// address, to send ["cluster-join", id, raft-addr, client-addr] on this
// node's behalf. A node restarted on its data directory rejoins by itself.
// A leader that closes hands leadership over first.
//
// # Concurrency
//
// All methods of Node are safe for concurrent use. Raft calls the fsm from
// its FSM goroutine (Apply, ApplyBatch, Snapshot) and Restore while
// nothing else runs; snapshot persistence runs concurrently with applies
// and reads only an immutable value. Goroutines the node starts are owned
// by it and joined by Close.
package replication
