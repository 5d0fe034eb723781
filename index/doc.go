// Package index owns one sorted secondary index of a collection and the
// order-preserving encoding of JSON values that every index and the record
// map are keyed by.
//
// # Value encoding
//
// AppendValue turns a JSON value into bytes whose byte order is the total
// order of docs/query-language.md (null < false < true < numbers < strings < arrays <
// objects) and whose equality is the database's equality (deep, numbers by
// value, 1 == 1.0):
//
//	null    01
//	false   02
//	true    03
//	number  04 | order-preserving double, trailing 00 bytes dropped,
//	             00 escaped as 00 FF | 00 01, or 00 00|02 and a 2 B residual
//	string  05 | bytes, 00 escaped as 00 FF | 00 01
//	array   06 | element encodings ...      | 00
//	object  07 | (key as string, value) ... sorted by key bytes | 00
//
// Integers within int64 are exact: the residual orders integers whose
// doubles round to the same value. Dropping the double's trailing zero bytes
// makes small integers short (an id below 2^21 takes 6 bytes, not 11; every
// key of a record holds its id); AppendNumber explains why the order is
// that of the fixed 11-byte form, which TestNumberEncodingOrder checks. The
// encoding is prefix-free, so encodings concatenate into compound keys and
// complement into descending components without changing the order of the
// others.
//
// # Entry keys
//
// An index is a set of entry keys: the encoded components, then the encoded
// id, then the id's length (see key.go). Records that tie on every
// component are therefore ordered by id, and a lookup on a prefix of the
// components is one contiguous range of keys (PrefixRange, ComponentRange).
// A record's keys in all of a collection's indexes are built from one walk
// of its top-level members (AppendKeys, keys.go), each value encoded from
// its text; Spec.AppendKey, a gjson read per component, is the reference
// the tests and collection.Check compare it with.
//
// # Storage: a persistent set with transient edits
//
// The set is an internal/btree Set: a dense sorted run of the keys as of its
// last merge plus a small persistent B+tree of the changes since, in which an
// edit token lets one batch of writes mutate the nodes it already copied
// instead of copying them again (internal/btree's doc, "Sets"). immutable.SortedMap (a persistent
// B+tree without ownership) costs ~4.7 µs and ~3 KB of garbage per Set on
// a 1M-key map, which is over the per-write budget once three indexes and
// the record map are maintained; the builder API of that library only
// starts from an empty map. See internal/btree's doc for the measured
// numbers.
//
// # Record blocks: keys that lead to their record
//
// A record and every key that refers to it (its encoded id, its entry key
// in each index) are one string, the record's block (block.go). The id
// follows the JSON and its length, and each entry key is preceded by its
// offset from the id, so RecordOfID and RecordOf find the record's JSON
// from the address of a key stored in a tree. The trees
// of the record map and of every index are therefore sets (no value slots),
// and the record's bytes are stored once.
//
// Why, measured with a heap profile and MemStats.BySize after loading
// 200,000 records of ~130 B (the in-process benchmark's shape: indexes on
// email, score and (city, age desc), batches of 1,000 through db.Query):
//
//	                          before          after
//	live heap (HeapAlloc)     571 B/record    404 B/record
//	HeapInuse after GC        930 B/record    582 B/record
//	allocations per record    5 (JSON, id,    1 block (256/288-B class)
//	                          3 keys): 278 B
//	tree nodes                335 B/record    133 B/record
//
// The nodes shrank because an index entry no longer holds the record as a
// value (a 16-byte string header per slot: 704-B leaves became 416-B ones),
// and because leaves are fuller (see internal/btree). One allocation per
// record also leaves the collector one object to trace per record instead of
// five. The difference between HeapInuse and HeapAlloc is the garbage of the
// last GC cycle left as holes in spans that also hold live nodes; it follows
// GOGC (the same probe: 598 B with GOGC=25, 739 with 100, 935 with 400,
// before the value slots went), so the lever left is the live size.
//
// # Where a record's memory goes, and what would shrink it
//
// 200,000 records of ~124 B loaded in batches of 1,000 through db.Query
// with the three indexes and the default change-feed history, MemStats
// after GC (BySize for the classes), at the end of the second round and of
// the fourth:
//
//	                                  round 2    round 4
//	record blocks                     256 B      224 B    JSON 124; id and
//	                                                      three index keys
//	                                                      100 -> 70 B
//	                                                      (numbers without
//	                                                      trailing zero
//	                                                      bytes); lengths and
//	                                                      offsets 20 -> 10 B
//	leaves (416-B class)              115 B      115 B    4 trees, ~88% full
//	inner nodes (576-B class)          13 B       13 B
//	change-feed history                32 B       16 B    a load's inserts
//	                                                      keep one key each
//	live heap (HeapAlloc)             421 B      373 B
//	HeapInuse                         550 B      479-490 B holes ~110 B
//
// The holes are the path copies' garbage: every write batch has an edit
// token of its own, so the first key it puts in a leaf copies the leaf, and
// the superseded copies die interleaved with live nodes in the same spans,
// which the collector cannot move. Measured in this round: the 200,000
// records' load allocated 466,538 leaves for 55,224 live ones and 179,641
// inner nodes for 4,664; one tree loaded with 200,000 random keys in sorted
// batches of 1,000 ends with its leaves 8.9 to an 8-KiB page where 19 fit
// and its inner nodes 5 of 14. Random keys into a copy-on-write tree copy
// about one leaf per key whatever the batch size, and each copy takes a
// free slot wherever the allocator has one, so the survivors stay spread
// out. Blocks do not churn (199,212 allocated for 198,812 live). A log replay applies all its writes in
// one transaction (one token), copies almost nothing, and leaves HeapInuse
// within 5% of HeapAlloc (1,000,000 records: 381 vs 400 MB). A history
// that kept each write's request text alive (the collection name was a
// substring of it) cost another 130 B/record until the third round.
//
// Seventh round: a node slot is now the key's address and one word holding
// its first 7 bytes and its length (internal/btree, slot.go), 16 bytes
// where a string header and a prefix took 24. The same probe (random ids,
// the indexes above; MemStats after GC right after the load):
//
//	record blocks (224/208-B classes)   223 B
//	leaves (288-B class)                 87 B    were 115 B (416-B class)
//	inner nodes (416-B class)            12 B    were 13 B (576-B class)
//	change-feed history                  16 B
//	live heap (HeapAlloc)               344 B
//	HeapInuse                           477 B    holes ~133 B; 346 B one
//	                                             idle second later
//
// Then the block's lengths and offsets went from two bytes each to one
// below 128 (varint.go), and the id lost its own offset (RecordOfID reads
// the length right before it): 9 bytes less in a typical block. The
// project's 1M-record benchmark's blocks were 214-217 bytes, just over the
// 208-B class; BenchmarkMemory, same run: HeapAlloc 319.5 -> 303.7 B per
// record (2.58 -> 2.46 x the JSON), after defragmentation 321.0 -> 305.2
// (HeapInuse 334.1 -> 322.3).
//
// Reaching SQLite's 211 B/record (pages of a compact record format) would
// still take index keys that do not repeat the id, node slots without a
// pointer each (offsets into a pointer-free arena, which the collector
// would skip), and a write path whose superseded copies do not leave holes
// among the live nodes: even with no holes at all the live heap above is
// 1.6 x SQLite's pages.
//
// Live entries that sit together: in the sixth and seventh rounds the
// database copied its trees into fresh nodes of a padded size class once
// the writer was idle (HeapInuse 492 -> 375 B/record at 200,000 records).
// Since the eighth round an index is a btree.Set (internal/btree, "Sets"):
// its entries sit in dense runs, 16 bytes each, and only the small deltas
// of recent changes leave holes; Index.Compact (the root package's
// defrag.go) merges them. The same load costs 304-305 B/record, 1.44 x
// SQLite's pages, right after it ends.
//
// An index's set is a borrowing one (btree.SetBuilder.Borrowed; FromSortedKeys
// makes every index the collection holds): its runs keep no key alive, so
// the collector does not scan them. Every key is a substring of its
// record's block, which the collection's record map holds in every value
// that holds the index; a key the index's delta stores anew keeps the run's
// old string alive itself (package btree). So index keys must only ever be
// keys of blocks the record map holds: Insert, Replace and Remove, which
// make a block of their own, are for an Index built with New, not for the
// collection's.
//
// Keys not stored (search keys, the bounds of a scan, keys to delete) may be
// any string. A stored key must come from NewBlock: the methods that store
// keys (InsertKey, ReplaceKey, FromSortedKeys) say so, and Insert and
// Replace make a block of their own for callers that index one record.
//
// # Concurrency
//
// An Index is an immutable value once published: any number of goroutines
// may read it. Methods that take an edit token mutate nodes owned by that
// token, so each index is changed by one goroutine at a time (a large
// batch fills the record map and each index on goroutines of their own,
// package collection), and the token is dropped before the result is
// published.
package index
