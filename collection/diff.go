package collection

import (
	"github.com/fleetdb-go/fleetdb/index"
	"github.com/fleetdb-go/fleetdb/internal/btree"
)

// DiffRecordKeys calls fn, in id order, for every record that differs
// between old and new: inserted (oldKey ""), deleted (newKey "") or
// replaced by different JSON. The keys are the record-map keys of the two
// versions: a key is the record's encoded id (never empty), a substring of
// its record block, and index.RecordOf(key) is its JSON. It reads only the
// parts of the record maps that the two collections do not share (see
// btree.Diff). fn returning false stops.
func DiffRecordKeys(old, new Collection, fn func(oldKey, newKey string) bool) {
	btree.Diff(old.records, new.records,
		func(ka string, _ struct{}, kb string, _ struct{}) bool {
			return index.RecordOf(ka) == index.RecordOf(kb)
		},
		func(ko string, _ struct{}, hasO bool, kn string, _ struct{}, hasN bool) bool {
			if !hasO {
				ko = ""
			}
			if !hasN {
				kn = ""
			}
			return fn(ko, kn)
		})
}

// SameRecords reports whether a and b share their record map (and so hold
// the same records).
func SameRecords(a, b Collection) bool { return a.records.Same(b.records) }
