// Package records prepares the records a Go program hands to an insert or a
// put, for the embedded API (package fleetdb) and the client alike, so the
// two accept the same arguments:
//
//   - Expand: a single slice or array argument stands for its elements, so
//     Insert(ctx, "people", people) inserts every person.
//   - Prepare: a struct whose id is an exported field ID (or Id) without a
//     json tag, which encoding/json marshals as "ID", is marshaled with that
//     key written "id", the attribute every record must have.
//   - Diagnose: after the database refused a batch for a missing id, it
//     finds the first record without one and says why (the key it has
//     instead, a field json skips, ...).
package records
