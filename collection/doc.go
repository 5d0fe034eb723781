// Package collection owns one collection value: the record map (encoded
// ids in a persistent sorted set (btree.Set), each leading to its record's JSON) and the
// collection's indexes. Every change returns a new Collection and maintains
// every index.
//
// # Storage
//
// A record, its id and its key in every index are one allocation, the
// record's block (index.NewBlock, block.go): the trees hold substrings of
// blocks and no values, and a write makes one new block. CreateIndex gives
// every record a new block with the new key and rebuilds the record map and
// the indexes with bulk loads (Builder), as snapshot restore does.
//
// A large InsertMany (parallel.go) builds the blocks in parts, then gives
// each tree its keys, sorted (sortkeys.go: a radix quicksort, since index
// keys share long prefixes), as a task of its own, the costliest trees
// (by the Runner's times of the last large insert) first.
//
// # Values and edits
//
// A Collection is a small value. Methods that change it take an edit token
// (internal/btree): nodes owned by the token are changed in place, others are
// copied, so a batch of writes under one token copies each path once. With a
// nil token every change is fully persistent. A Collection reachable from a
// published database value is never changed: the writer drops the token
// before publishing.
//
// # What changed
//
// Insert, InsertMany, Put and Delete record each record they insert,
// replace or delete in a Log (changes.go) when given one: the record-map
// keys of the old and new versions. The database's writer keeps one per
// batch and turns it into each write's changes for the change feeds
// (dbvalue.Step), so nothing compares values to find them.
//
// The methods do not validate: the caller (package query) checks ids and
// duplicates before it changes anything, so that a write either happens
// whole or not at all.
//
// # Concurrency
//
// Any number of goroutines may read a published Collection. Changing
// methods are called by the single writer only.
package collection
