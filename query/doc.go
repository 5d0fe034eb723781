// Package query owns the JSON query language of docs/query-language.md: it parses and
// validates requests into typed queries, plans finds and explains the plans
// (docs/query-language.md), executes reads on a database value, and applies writes to a
// transaction: (value, write) → (new value, result).
//
// # Pure
//
// Nothing here does I/O, starts goroutines, reads a clock or takes a lock.
// Apply is deterministic, so the log replay, the Raft state machine and the
// live write path reach the same value from the same log.
//
// # Semantics decided here (documented in docs/query-language.md)
//
//   - Without order, results come in the order of the access path: id
//     order for a scan or a lookup, index order for an index. They are
//     deterministic; only ordered results are the same for every plan.
//   - Ties on the order keys are broken by id, ascending, whatever the
//     direction of the order or of the index that provides it.
//   - distinct applies after only and before offset and limit, as in SQL.
//   - update merges the changes object at the top level: a key of the
//     changes is a top-level key (dots are not paths); null removes it.
//   - put refuses an id repeated in the same batch (Duplicated id).
//   - Range values must be numbers, strings or booleans; the two bounds of
//     a between must be of one class.
//   - A lookup by id (= or in on "id") beats any index; among indexes the
//     one consuming the most conditions wins, then the one providing the
//     order, then the earliest created.
//   - The record map is ordered by id, so it serves a range on "id" and an
//     order by "id" like an index; explain shows it as an index-range on
//     the spec "id" even though no such index was created. It wins ties
//     with indexes, except against an index equality.
//   - Requests nested deeper than MaxDepth are a Malformed query.
//
// # Parsing cost
//
// A server parses every write on its event loop, so parsing is on the path
// of every pipelined insert (27 % of the server's CPU per insert under
// `fleetdb bench --type insert --pipeline 32`, docs/performance-history.md,
// round 8). Parse checks the text in one pass (wellFormed: jsontext.Check for
// JSON and depth, then UTF-8) and falls back to the older checks only to
// word a refusal; an insert of one record, or of an array of them written
// without white space between the elements (a bulk load's batch), skips
// gjson's walk of the request (parseOneInsert): one walk finds each
// record's end and whether it holds white space, and each record then
// takes the checks every insert's records take, compacted only if it has
// white space. ParseView leaves those records in the request's bytes (the
// collection copies each into its block). FuzzWellFormed and
// FuzzParseOneInsert hold both to the general path's verdicts.
//
// # Concurrency
//
// Parsed queries and plans are immutable and may be shared. Execute may run
// on any goroutine against a published value; Apply runs on the writer.
package query
