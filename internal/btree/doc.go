// Package btree holds the database's persistent (immutable) sorted
// structures, with transient edits for cheap batches of writes.
//
// Tree[V] is a B+tree, a sorted map with byte-wise key order (Go string
// comparison), with its bulk loader Builder[V]. Set is a sorted set of
// strings built of a Tree and a dense run (see "Sets" below), with its bulk
// loader SetBuilder: the record map and the indexes of every collection are
// Sets (package index), and a Tree maps the names of the collections. The
// package does no I/O, starts no goroutines and takes no locks.
//
// # Shape
//
// Values live only in leaves; inner nodes hold separator keys and children.
// Every node has 16 key slots (a leaf holds 8..16 keys, an inner node 8..16
// children; the root and the nodes of the right spine may hold fewer, see
// below). A node holds each key as two words (slot.go): its first 7 bytes and
// its length packed in one integer, so a search compares integers held in
// the node and follows a key to its bytes only when two keys longer than 7
// bytes share those 7, and the address of its bytes. Keys are shared, never
// copied: copying a node copies those words. A leaf holds its values inline and
// an inner node is allocated together with its child array, so a path copy
// allocates one object per level. Delete merges or rebalances underfull
// nodes, so the tree shrinks, and a tree left empty is the zero Tree.
// Iteration recurses over the nodes and allocates nothing.
//
// # Fill
//
// Memory per key is mostly the node slots it occupies, so inserts keep
// leaves full rather than half full:
//
//   - A node on the right spine (no key above its range) that overflows
//     with a key past its end splits unevenly, its left part staying full:
//     ascending keys (ids of a bulk load, log replay) fill every leaf. Only
//     the right spine may hold nodes below the minimum; a node leaves it
//     only as the full left part of such a split.
//   - A full leaf that would split first shares its entries with a
//     neighbour that has room, the left one first (ascending runs in the
//     middle of the tree, such as a batch of sequential ids in an index of
//     their e-mail addresses, fill the leaf the last split left behind).
//
// Measured over 20,000 keys (TestFill): ascending keys 100% full (was 50%),
// random keys 83% (was 69%), runs of 200 ascending keys at random places
// 92%. The price is a copy of the neighbour where a split was due, about
// once per eight inserts into a leaf.
//
// The separator a leaf split or share puts in the parent is the shortest
// prefix of the right leaf's first key that is greater than the left
// leaf's last key, as a copy: short, and it never keeps a deleted key (or
// the record block a key was allocated in, see package index) alive.
//
// # Ownership and transient edits
//
// Every node records the *Edit that created it. Set and Delete given a token e
// modify in place the nodes that e owns and copy every other node they change
// (path copying); the copies are owned by e. So:
//
//   - e == nil: a fully persistent edit. Nothing reachable from the input tree
//     is modified.
//   - One e for a batch of writes: the first write copies its path; later
//     writes that reach nodes e already owns change them in place. Trees
//     returned earlier in the batch share those nodes and so see (partly) the
//     later writes: only the last one is meaningful.
//   - Once the caller stops using e for good (the next batch takes NewEdit()),
//     every tree produced so far is an immutable value, safe to publish.
//
// The rule to keep: a tree is immutable once no Edit that owns any of its
// nodes is used again. A tree derived with nil (or another Edit) from a tree
// of e shares e's nodes, so it too may change if e is used again. The intended
// use is the database's write path: take an Edit, apply one batch, retire the
// Edit, publish.
//
// # Concurrency
//
// Any number of goroutines may read a tree (Get, Len, Min, Max, Ascend,
// Descend, Check) concurrently, provided no goroutine edits with a token that
// owns its nodes. Writes with nil or with a token of one's own never disturb
// readers of other trees. A Builder belongs to one goroutine, and so does
// each tree being edited; an Edit holds no state, so one token may edit
// several trees that share no node (a collection's record map and its
// indexes) on as many goroutines, one tree each.
//
// # Node size and measurements
//
// The node size trades the bytes copied by each persistent write (the path:
// about depth × node size) against depth and scan locality. Writes cost
// mostly garbage collection, in proportion to the bytes they allocate, so the
// smallest node that keeps reads fast wins: 16 slots. An inner node with its
// children is 416 bytes whatever V is; a leaf 288 + 16 values (a Set's delta,
// V a mark: 416). Until the ninth round every node had room for values, and
// a delta's inner node was 576 bytes; a single insert at 1M records then
// allocated 1.5 KB more, and Get at 1M keys was 25 % slower. Before the
// seventh round a slot was a string header and an 8-byte prefix, 24 bytes
// (the sweep below was measured with those).
//
// Sweep at 1,000,000 random 16-byte keys, CPU time per op of the whole
// process (collector included) while other jobs loaded the 2-core machine:
//
//	slots        Get     Set (nil)       batch of 64         Ascend 100
//	16           0.7 µs  6.4 µs, 3.2 KB  4.7 µs/key, 1.9 KB  3.2 µs
//	20           0.6 µs  7.3 µs, 3.9 KB  4.7 µs/key, 2.1 KB  2.2 µs
//	24           0.6 µs  7.6 µs, 4.0 KB  5.1 µs/key, 2.4 KB  2.1 µs
//	32           0.6 µs  7.1 µs, 5.5 KB  6.8 µs/key, 3.0 KB  2.2 µs
//	64           0.5 µs   16 µs, 8.7 KB  7.9 µs/key, 4.5 KB  1.6 µs
//	32, no pfx   1.7 µs  8.1 µs, 2.5 KB  6.2 µs/key, 1.6 KB  4.4 µs
//
// The last row is a first version with exactly sized slices and no key
// prefixes: it allocated least but every comparison followed a key to its
// bytes, a cache miss each. 8 slots, measured later against 16 on a quieter
// machine, allocated 2.3 KB per Set but were no faster at writing (deeper
// paths, more allocations) and 25% slower at Get, 50% at Ascend 100.
//
// A Get that finds its key must read the leaf and then the key's bytes to
// confirm equality: two cache misses in memory this size, each about 170 ns
// on this machine, which is why Get stays near 0.6 µs.
//
// Medians of 5 runs with 16 slots on a quiet machine (go test -run XXX
// -bench . -benchmem -count 5 ./internal/btree/), wall time per op, against
// github.com/benbjohnson/immutable's SortedMap[string, struct{}]:
//
//	                                 btree           immutable.SortedMap
//	Get                              0.61 µs         1.67 µs
//	Set, nil Edit                    2.98 µs, 3.2 KB 5.01 µs, 3.3 KB
//	Set, batches of 64 per Edit      2.11 µs/key     -
//	Set, batches of 4096 per Edit    1.54 µs/key     -
//	Delete, nil Edit                 3.58 µs         5.27 µs
//	Ascend from a key, 100 keys      2.61 µs         -
//	Descend from a key, 100 keys     2.84 µs         -
//	Builder, per key                 0.14 µs         -
//
// Most of a write is the collector tracing the live heap (here a million
// separately allocated keys) and the write barriers on the pointers copied
// while it runs. Under load, a nil-Edit Set took about 3 µs of CPU with
// GOGC=400 against 5 to 7 µs with GOGC=100 (SortedMap: 7.4 µs). Writes get
// cheaper with a higher GOGC or GOMEMLIMIT, with larger batches per Edit,
// and with smaller values (a map's leaves copy their value arrays).
//
// Slots of two words (seventh round). A slot held a 16-byte string header
// and the key's first 8 bytes; it now holds the key's address and one word
// with its first 7 bytes and its length (a key of 255 bytes or more keeps
// its string header in an allocation of its own, which the slot points to).
// The in-process comparison (200,000 records, three indexes, batches of
// 1,000), two interleaved pairs of runs against the code before: memory
// after the load 542-543 -> 479-482 B per record (HeapInuse), bulk load
// 1.60-1.70 -> 1.81-1.82 x SQLite's rate, reads unchanged. By class after
// the load (MemStats.BySize): leaves 87 B per record in the 288-byte class
// (115 in the 416-byte one before), inner nodes 12 B.
//
// Keys of at most 7 bytes (8 before the two-word slots) whose prefixes tie
// are ordered by their lengths (the shorter is a prefix of the longer,
// which goes on with zero bytes), so a search among short keys (the ids of
// a record map: below 2^21 an id's encoding takes 6 bytes) reads only the
// node, never the keys' bytes. Before, a get by id compared the found key's bytes
// in a call to the runtime's string comparison: 19% of the in-process
// benchmark's get-by-id loop (pprof), mostly the miss on the record's block
// where the key lives, which RecordOf now takes instead.
//
// Key words help only where keys differ in their first 7 bytes; keys that
// share a long prefix (index keys of one attribute value) fall back to string
// comparisons, which are correct but slower.
//
// # Where a point read's time goes, and what would cut it
//
// perf annotate of the in-process benchmark's get by id through db.Query
// (200,000 records; fifth round): 62% of GetKey's samples sit on the first
// load of each node's header, a cache miss per level, 9% on the prefix
// comparisons; 96% of RecordOf's on the record's first byte. The record
// map of 200,000 ascending ids has five levels (the root, then 4, 56 and
// 834 inner nodes, then 12,500 full leaves); the upper three stay in the
// cache, the leaf and the block are misses whatever the node layout, so
// inner nodes of 32 children would save the one level in between (834
// nodes, about 270 KB of the lines a search touches).
//
// The collector is the other large share: the same loop ran 25-35% faster
// with GOGC=off than with the default (378-498 against 575-630 ns, runs
// alternated, load 3-4). Each read allocates its answer (~128 B); a cycle
// comes every ~80 MB allocated (620,000 reads) and marks a live heap of
// ~77 MB holding five pointers per record (the record map's key, three index
// keys, the change-feed history's key) at 70-210 ms of CPU (gctrace).
//
// Since the twelfth round an index's runs hold no pointer the collector
// sees (borrow.go, SetBuilder.Borrowed): their slots are the same words and
// addresses, in memory allocated without pointers, and the record map's
// runs keep the blocks alive. Offsets into the blocks had been the plan;
// Go's checkptr (on under -race) refuses a heap pointer rebuilt from a bare
// integer, but not a pointer stored in, and read back from, memory of a
// type without pointers. A bulk load of the in-process comparison's
// records (three indexes) then spent 10 % of its time on the collector
// (GOGC=off: 547 k against 493 k records/s), against 25-30 % before.
//
// # Memory
//
// Measured at 1,000,000 random 16-byte keys, besides the key bytes: a set
// filled by random inserts costs about 42 bytes per key (leaves about 70%
// full; before the fill rules above); one loaded by a Builder, with full
// leaves, about 28. A map adds a 16-slot array of V per leaf.
//
// In the database (200,000 records of ~130 B, three indexes, loaded in
// batches of 1,000; MemStats.BySize after GC), the nodes of the record map
// and the three indexes went from 335 B per record (416-B nodes plus 256-B
// value arrays, leaves 50-69% full) to 133 B (416-B leaves, 88% full).
//
// # Sets: a dense run and a small delta (eighth round)
//
// Path copying leaves garbage: a 200,000-record load allocates ~8 leaves for
// every one that survives, and each copy takes a free slot wherever the
// allocator has one, so the survivors end up spread over pages that are about
// half used. Go's collector never moves objects, so those pages stay in use
// (HeapInuse) as long as one node on them lives. Until the seventh round a
// background compaction copied the trees into nodes of a padded size class
// once the writer had been idle; a load measured right after it ended still
// paid for the holes, and the leaves' free slots and inner nodes besides.
//
// A Set (set.go) keeps its keys as of its last merge in a run (run.go): one
// exactly sized array of slots (a word and a pointer each, 16 bytes per key)
// and a fence of every 16th word. The changes since are a Tree[bool] (false: a run key deleted,
// keyed by the run's own string so that the tombstone keeps nothing else
// alive). A write that leaves the delta above max(64, run/16) keys merges it
// into a new run: a memmove of the runs between the delta's keys. Each delta
// entry carries its mark, the index of its place in the run (which the write
// found anyway) and whether the run holds the key, so a merge and a scan
// place the delta's keys among the run's without comparing any. Lookups ask
// the delta, then search the fence (its upper levels stay in the cache) and
// scan one block of 16 slots; scans walk the delta with its iterators and the run
// by index between its keys. The
// database's defragmentation (defrag.go in package fleetdb) merges every
// delta once the writer has been idle, which costs a memmove per set.
//
// Measured with the in-process comparison (200,000 records of ~126 B, three
// indexes, batches of 1,000; same session, one run each): memory after the
// load 476 -> 309-314 B per record (HeapInuse; 1.47-1.49 x SQLite's pages,
// from 2.26 x), typed get 0.48 -> 0.43-0.47 x buntdb, get through db.Query
// 0.62 -> 0.54-0.60, bulk load 1.97 -> 1.70-1.85 x SQLite's rate (the merges
// are ~20% of a load's profile, half of it the write barriers of copying
// pointer arrays while the collector runs). At 1M records (go test -bench
// Memory, after the idle merge): HeapInuse 289 B per record, 2.34 x the JSON.
// On 1M random 16-byte keys: BenchmarkSetGet/compacted 173 ns, /present
// (with the delta a load leaves) 279 ns, the B+tree's BenchmarkGet 289 ns.
// Words and pointers were two arrays at first (the words' array then holds no
// pointers); side by side, a get by id at 200,000 records costs one cache
// miss less: 465 -> 443 ns through db.Query, 369 -> 345 ns typed (a probe
// loading the in-process comparison's records and reading its 4,096 ids).
// Fences of every 8th word measured the same, every 32nd slower.
//
// A run leaves the prefix all its keys share out of their words (run.prefix,
// kept as a copy): an index of e-mail addresses, whose keys all begin with a
// type tag and "user", had words that told keys apart by two digits only,
// so most steps of a search compared strings, each a cache miss on the
// key's record block. inproc/run.sh, same session: email = x 940 -> 654 ns
// (0.28 -> 0.19 x the best peer). Keys that tie on 7 bytes past the prefix
// (a city's entries in the (city, age) index) still compare strings.
//
// What a load of 200,000 records costs now (pprof of a probe loading the
// in-process comparison's records): the merges ~24% (their memmoves and, while
// the collector runs, the write barriers of copying slot pointers), putting
// the sorted batches into the deltas and finding their places in the runs
// ~25% (string comparisons where index keys share their first 7 bytes, as
// e-mail addresses do), the collector ~14%, parsing and index keys ~20%.
// Before the marks, the merges' own searches for the delta keys' places
// were a further ~10%.
//
// A set is cut by key range into parts of at most partMax (2^17) keys
// after a merge, each its own run and delta (set.go), so that a merge copies
// at most about 2 MB. In one run, a million keys stalled the write that
// merged them: 10-15 ms per set, four sets crossing their thresholds on the
// same write, and up to 230 ms when the collector charged the 16 MB
// allocation with mark assists. One-record inserts into a collection of 1M
// records with three indexes (a probe, 200,000 inserts after the load), the
// B+tree against parts: p99 110 -> 100 us, p99.9 181 -> 568 us, p99.99 5.4
// -> 4.1 ms, worst 11 -> 17 ms. The merges' total work is less than the
// path copies' was, but lumpier: a 65K-key part merges in 0.23 ms alone
// (BenchmarkPartMerge) and in 3.5-12 ms when the collector is marking a
// 500 MB heap, which is the p99.9. Part sizes swept with the same probe, two
// runs each (p99, p99.9, p99.99, worst): 2^15 109 us, 254-258 us, 4.5 ms,
// 8-9 ms; 2^16 86 us, 528-530 us, 4.4-4.7 ms, 14-15 ms; 2^17 87-88 us,
// 316-485 us, 3.6-3.9 ms, 20-25 ms. None is better throughout; 2^17 keeps
// the list a write copies shortest.
//
// A sorted put of at least an eighth of a part's delta (a bulk load's batch
// per tree) builds the delta anew (rebuild.go): the old entries and the
// new ones merged by their places in the run into full leaves, the
// separators made from the words where they differ early, so that no old
// key is read. One key at a time, each descended the delta and copied or
// split a leaf an earlier batch's edit owned. BenchmarkSetPutSortedTied
// 523-558 -> 475-505 ns per key, BenchmarkSetPutBatch1000 648-715 ->
// 614-646 us; the in-process comparison's load (a probe, alternated three
// times) 381-412 k -> 393-439 k records/s, 1,934 -> 1,880 B allocated per
// record, memory after the load 304-305 -> 303 B per record.
//
// Keys whose words tie (an index of (city, age): every entry of one city)
// make a sorted insert's placing of a key in the run compare key bytes,
// each in its record's block: BenchmarkSetPutSortedTied, 540 ns per key,
// about 10 string comparisons per key (eleventh round, counted), 65 % of
// the time in run.seek. Three ways to cut it measured no better and were
// dropped: running a batch's searches in lockstep, each round loading all
// the keys they compare next before comparing (493-522 against 518-529 ns;
// in the bulk load no faster), likely because these loads miss the TLB as
// well and page walks do not overlap as loads do; comparing tied keys from
// their eighth byte eight bytes at a time instead of the runtime's
// comparison (532-549 against 537-541 ns); and a second word per fence
// entry where fence words tie (476-526 against 537-560 ns): it took the
// fence's string comparisons from 6.5 to 2.2 per key, but the fence's keys,
// one in sixteen, stay in the cache; the four comparisons within the
// block, each a miss, are what costs, and only more bytes per slot would
// avoid them. A tail of eight bytes beside every slot of runs whose words
// tie often (the next eight bytes of each key, copied by merges) measured
// slower still (534-559 ns): past a long city name eight bytes reach only
// the age, so the keys of one (city, age), three blocks of them, still
// compared their bytes, and the tails' array was one more miss; sixteen
// bytes would reach the id but cost 16 B per key of such an index, past
// the memory the in-process comparison allows.
//
// Deltas of run/8 and run/4 loaded ~7% faster in BenchmarkBulkInsert but
// left more delta nodes at the end of a load (314 B per record at run/8).
//
// # Batches of lookups (ninth round)
//
// One GetKey waits out its cache misses one after another: the run's block,
// then (in package index) the record the key points into. Set.GetKeys
// (batch.go) looks up many keys in stages so that the misses of different
// keys overlap: the fence search of every key first (the fence stays in the
// cache), then a loop that only loads the lines of each key's block (loads
// that do not depend on each other, which the processor keeps in flight
// together), then the block scans, now in the cache. A server answering a
// pipelined batch of gets uses it (collection.Collection.GetMany, which goes
// on the same way with the records): BenchmarkGetMany, 1M records, batches of
// 32, 654 -> 248 ns per record. The fence search then showed as its own cost
// (mispredicted branches, 16 % of the server's profile): a probe of at most
// 7 bytes past the run's prefix is ordered against every key by the words
// alone, so its search compares integers with conditional moves instead
// (upperFence): 248 -> 210 ns per record.
//
// # A fence of the fence (thirteenth round)
//
// A lookup's search of a run's fence was a dozen dependent loads over up to
// 64 KB (a part of 2^17 keys), and its "branchless" halving had been
// compiled to a branch (the if around the move), which the processor
// mispredicted about every other step: 11 % of the in-process get loop's
// cycles (perf). block now takes topFence: the halving, with the step's
// condition as arithmetic (a subtraction's borrow), over top, every 16th
// fence word (a 256th of the keys: 4 KB for a full part, in the closest
// cache), then a count of the words not above the probe among the 16
// fence words that leaves, loads that do not wait for one another; the
// block scan likewise counts the words below the probe instead of
// stepping to the first that is not. Get by id in the in-process
// comparison, alternated: 589, 594 -> 542, 537 ns through db.Query
// (-reps 15), typed 469, 433 -> 395, 392 ns; and a pipelined get on the
// server 0.42 -> 0.37 us of its CPU. Memory: one word per 256 keys.
//
// Words order a probe of at most 7 bytes (an integer id below about two
// million) against every key. A longer probe ties only with the keys as
// long that share its first 7 bytes, which are contiguous; outside them
// the halving's comparisons are right, so it ends next to such a key or
// at the true place: topFence falls back to the fence's binary search
// when a top word next to where it ended ties, and compares a tied fence
// word of its block by its key. Keys that differ early (random 16-byte
// keys: BenchmarkSetGet at 1M, three alternated pairs, compacted 242-263
// -> 206-232 ns) take the two levels, and so do ids: past the run's
// prefix an id's key is short up to large ids, and a million ids from 2^40
// (11-byte keys, probes of 9-10 bytes past the prefix) fell back for 0.3 %
// of their lookups (counted once, with a throwaway counter).
//
// Measured and dropped: loading the bytes of a block's tied keys (and of
// the fence keys a seek's gallop compares next) before the search, so
// that their misses overlap: BenchmarkSetPutSortedTied 475 against 478 ns
// per key, as the tied-key tries of the eleventh round.
//
// # Keys that tie on their words (fourteenth round)
//
// A composite index's keys of one value (city, then an age whose number
// takes 9 bytes, then the id) share far more than a run's prefix: past
// it, the words of a run's keys tie in long stretches, and every tied
// comparison read a key's bytes, a cache miss in its record's block.
// cmpbody (the runtime's string comparison) was 16-18 % of the CPU of the
// in-process comparison's bulk load and 14 % of a single insert's at 1M
// records, most of it from a run's fence search and block scan. Three
// changes, none of them to a run's slots (memory stays 16 bytes per key):
//
//   - fence2: for each fence word that ties with a neighbour's, the word
//     of the key's bytes past its first 7 (word2), so a fence comparison
//     that ties on the first word is decided by the second; a merge reads
//     the bytes of those block-first keys only (at most a 16th of a run's
//     keys, none in a run whose words tell its blocks apart). 8 bytes per
//     16 keys of such runs.
//   - topFence, when a top word next to where its halving ended ties,
//     searches only the fence between the top words that tie (two more
//     halvings find them), no longer the whole fence.
//   - The block scan steps over the words below a long probe, then halves
//     the tied ones by their bytes instead of stepping through them.
//
// Ten in-process comparison loads (200,000 records, three indexes) per
// binary, three pairs alternated: the process's CPU 11.25, 10.65, 9.66 ->
// 10.42, 9.49, 7.71 s, cmpbody 18.0, 15.9, 17.4 -> 13.2, 13.8, 13.4 %;
// median load rate 316, 355, 393 -> 351, 404, 513 k records/s. Point reads
// of BenchmarkSetTied (1M tied keys, ~2 us a read, mostly cache misses)
// moved within their noise. What is left of the ties is a block's tied
// slots (a slot has one word) and the delta trees, whose nodes hold whole
// keys and so tie on a type tag and the city in every comparison.
//
// # Runs that grow at their end (fourteenth round)
//
// Keys that arrive past every key of their part (a load's ascending ids,
// a log's replay, single inserts of new ids) went into the delta's right
// edge, a path copy per write, and every run/deltaShare keys a merge
// copied the whole run: each key was copied about 16 times, and the
// record map's path copies were a sixth of a single insert's allocations.
// Now such keys go straight to the run's end (extend.go): an extended run
// shares arrays that have room to spare (a quarter as many keys again)
// with the run it came from, and claims the room it fills with an atomic
// counter, so that the older run, which reads only its own length, sees
// nothing change, and a second extension of an older run (a branch: its
// room is claimed) copies. Readers take no lock; the writer writes only
// past every claimed slot. The fence, its top and its second words grow
// the same way; an extension reads none of the run's old keys. The
// delta's keys keep their marks: the appended keys must lie past the
// delta's too. Compact, which the idle defragmentation runs, makes the
// arrays exact again. As Tree's nodes, a run and a part that a batch's
// token made are changed in place by that token's later writes.
//
// Measured against the code before, alternated: at 1M records
// BenchmarkInsertSingle 32-33 allocations and 8.8-8.9 KB -> 28 and
// 6.2-6.3 KB; BenchmarkInsertBatch64 (64 writes under one token) 11 -> 7
// allocations per write; BenchmarkBulkInsert 2.15-2.19 -> 1.62-1.65 MB
// allocated per batch of 1,000; replay within the noise (1.27 against
// 1.28 M records/s); ten in-process comparison loads per binary, three
// pairs: CPU 11.02, 10.98, 8.65 -> 9.89, 9.00, 7.76 s, median rates 343,
// 340, 454 -> 383, 421, 499 k records/s. The room costs memory only in
// the last part of an ascending set: BenchmarkMemory's heap 281.1 ->
// 281.6 B per record, 279.6 both after defragmentation.
//
// # Recent writes beside the delta (fifteenth round)
//
// A single write into a delta copied the path from its root to the key's
// leaf: at a million keys a part's delta holds a few thousand keys in
// four levels of 16-key nodes, and a single insert whose score and (city,
// age) keys land anywhere copied about eight nodes of 416 bytes, 3.35 KB
// of the insert's 6.3 KB (pprof's alloc_space of BenchmarkInsertSingle,
// a profile of 100,000 inserts subtracted from one of 200,000). A part
// now keeps its latest single writes (Put, Add, Delete) in an array of 30
// entries beside the delta (recent.go): the key and the mark the delta
// would hold. When the array is full they move into the delta in one
// batch under one token, so that keys that share a leaf or an inner node
// copy it once. The array is appended in place and claimed as an extended
// run's room is: an older part reads only its own count, and a write to
// a part whose next entry another part claimed copies the array. A lookup
// reads the entries first, the latest of a key winning, through a 256-bit
// filter of their words that sends most lookups past the scan; a scan
// merges them with the delta's entries (O(entries) per entry it yields);
// PutSorted, a merge and a split move them into the delta first, and a
// key appended at the run's end must lie past the entries placed there.
// Only the first write of a batch into a part goes to the array: the
// batch's later writes there (its token made the part, or copied the
// delta's root) change the delta in place, in one descent, unless the
// array holds their key. A part is 64 bytes instead of 48.
//
// Measured against the code before, alternated: at 1M records
// BenchmarkInsertSingle 28 allocations and 6.7 KB -> 22 and 4.65 KB per
// insert (200,000 inserts; 18 and 3.9 KB with the hot part below);
// BenchmarkInsertBatch64 8 allocations and 3,246 B -> 7 and 2,954 B per
// write; replay and the in-process comparison's loads, gets and scans
// unchanged (loads go through PutSorted). What it costs: a lookup in a
// part with recent writes pays for the filter and, for one in nine keys
// without an entry, the scan (BenchmarkSetGet after 20,000 single writes
// ~490 against ~470 ns before them, noisy), and the first write of a
// batch into a part looks its key up before the move inserts it: the
// server's CPU per pipelined insert (a fresh database, random ids, 64
// connections of 32 requests) 2.45-2.56 against 2.33-2.48 us over nine
// alternated pairs. Every write of a batch in the array cost more (2.53,
// 2.59 against 2.34, 2.48 us); moving the array at a batch's second write
// into a part cost nothing there but left InsertBatch64 at 8 allocations
// and 3,806 B.
//
// # A hot part instead of a copied list (fifteenth round)
//
// A write replaced one part of a Set: it copied the list of parts (80
// bytes and 8 per part; at a million keys a set has 10 to 26 parts) and
// allocated the new part, for each of a record's four sets. A Set value
// now carries the part the last write changed beside its list (hot.go):
// a write to that same part makes a new part and leaves the list alone,
// and only a write to another part, or one that splits or drops a part,
// folds the hot part into a copy of the list. The Set values are copied
// by their holders at every write anyway (an index, a collection), so the
// two fields allocate nothing. The list's older version of the hot part
// must share the new one's run arrays, or the write folds, so that the
// list keeps alive no run a merge replaced. Writes with locality gain:
// ascending ids and timestamps, and in BenchmarkInsertSingle every set
// (scores that step by 7,919 of a million land about eight inserts in a
// row in one part, cities cycle in order): its list copies fell from 4 to
// 0.25 per insert, and the insert from 22 allocations and 4,664 bytes to
// 18 and 3,871 (two alternated pairs). Writes of random keys copy the
// list as before.
//
// # Borrowing sets (twelfth round)
//
// A Set built with SetBuilder.Borrowed, and every Set derived from it,
// keeps its runs in memory the collector does not scan (borrow.go): the
// runs hold their keys' addresses without keeping them alive. The
// database's indexes are such sets, their keys kept alive by the record
// map's blocks; a part keeps alive itself what only its run still points
// at (a run key its delta stores anew: the shadow list; a long key's
// header: the run's longs). Every part is 48 bytes instead of
// 32 (the flag and the shadow list); 64 since the recent writes.
package btree
