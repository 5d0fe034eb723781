// Package dbvalue owns the database value: collection name → collection,
// plus the log position the value reflects. A published *Value is never
// changed; writers derive new values through a Txn.
//
// # Transactions
//
// A Txn starts from a value and applies changes under one edit token (see
// internal/btree), so a batch of writes copies each tree path once.
// Savepoint/Rollback give all-or-nothing sub-steps (multi-write, user
// commands) at the cost of a fresh token. Commit returns the new value and
// retires the token; the Txn must not be used afterwards, except to begin
// the next transaction in it (BeginStepsIn, the writer's and the state
// machine's way: the Txn, its change log and the arrays of the steps it
// handed out last are reused, five allocations of a one-write transaction).
//
// The collection written last is held beside the names tree, by value,
// standing for the tree's entry of its name (colltree.go): writes that keep
// to one collection copy no leaf of names and no Collection.
//
// # Steps: what each write changed
//
// A transaction begun with BeginSteps (the writer's, the Raft state
// machine's) records every record change as the collection methods make it
// (collection.Log), and Step turns the changes of one write into a Step:
// per collection, a drop (with the collection as it was before the write)
// and the net record changes in id order. The change feeds' history is
// made of them. Recording the changes, rather than comparing the frozen
// values before and after each write, lets the writes of a batch share one
// edit token: measured with BenchmarkInsertBatch64 (64 single-record
// inserts per batch, 1M records, three indexes), 15.8 KB and 35
// allocations per write before, 5.0 KB and 15 after, half the time.
//
// # Concurrency
//
// A *Value may be read by any number of goroutines. A Txn belongs to one
// goroutine (the writer).
package dbvalue
