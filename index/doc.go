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
//	number  04 | 8 B order-preserving double | 2 B residual
//	string  05 | bytes, 00 escaped as 00 FF | 00 01
//	array   06 | element encodings ...      | 00
//	object  07 | (key as string, value) ... sorted by key bytes | 00
//
// Integers within int64 are exact: the residual orders integers whose
// doubles round to the same value. The encoding is prefix-free, so
// encodings concatenate into compound keys and complement into descending
// components without changing the order of the others.
//
// # Entry keys
//
// An index is a set of entry keys: the encoded components, then the encoded
// id, then the id's length (see key.go). Records that tie on every
// component are therefore ordered by id, and a lookup on a prefix of the
// components is one contiguous range of keys (PrefixRange, ComponentRange).
//
// # Storage: a persistent B+tree with transient edits
//
// The set lives in internal/btree, a persistent B+tree keyed by strings in
// which an edit token lets one batch of writes mutate the nodes it already
// copied instead of copying them again. immutable.SortedMap (a persistent
// B+tree without ownership) costs ~4.7 µs and ~3 KB of garbage per Set on
// a 1M-key map, which is over the per-write budget once three indexes and
// the record map are maintained; the builder API of that library only
// starts from an empty map. See internal/btree's doc for the measured
// numbers.
//
// # Concurrency
//
// An Index is an immutable value once published: any number of goroutines
// may read it. Methods that take an edit token mutate nodes owned by that
// token, so a token must be used by one goroutine (the writer) and dropped
// before the result is published.
package index
