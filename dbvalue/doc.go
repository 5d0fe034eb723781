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
// retires the token; the Txn must not be used afterwards.
//
// # Concurrency
//
// A *Value may be read by any number of goroutines. A Txn belongs to one
// goroutine (the writer).
package dbvalue
