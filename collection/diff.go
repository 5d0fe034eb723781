package collection

import (
	"github.com/fleetdb-go/fleetdb/index"
	"github.com/fleetdb-go/fleetdb/internal/btree"
)

// DiffRecords calls fn, in id order, for every record that differs between
// old and new: inserted (hasOld false), deleted (hasNew false) or replaced
// by different JSON. It reads only the parts of the record maps that the
// two collections do not share (see btree.Diff). fn returning false stops.
func DiffRecords(old, new Collection, fn func(id, oldRec string, hasOld bool, newRec string, hasNew bool) bool) {
	btree.Diff(old.records, new.records,
		func(ka string, _ struct{}, kb string, _ struct{}) bool {
			// The same block, or equal JSON.
			return index.RecordOf(ka) == index.RecordOf(kb)
		},
		func(ko string, _ struct{}, hasO bool, kn string, _ struct{}, hasN bool) bool {
			var id, o, n string
			if hasO {
				id, o = ko, index.RecordOf(ko)
			}
			if hasN {
				id, n = kn, index.RecordOf(kn)
			}
			return fn(id, o, hasO, n, hasN)
		})
}

// SameRecords reports whether a and b share their record map (and so hold
// the same records).
func SameRecords(a, b Collection) bool { return a.records.Same(b.records) }
