package query

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/collection"
)

// TestCheckBatchIDs: a batch's first offending id in the batch's order is
// named, whether it repeats an id of the batch or one the collection holds,
// for batches checked one by one and batches checked sorted (sortedCheck
// records or more), offenders placed so that the first in order is not the
// first in sorted order.
func TestCheckBatchIDs(t *testing.T) {
	var c collection.Collection
	for _, id := range []int{5, 500} {
		c = c.InsertMany(nil, mustParseRecords(t, fmt.Sprintf(`[{"id":%d}]`, id)), nil, nil)
	}
	for _, tc := range []struct {
		ids  []int
		coll bool   // check against the collection (insert), or not (put)
		want string // "" for no error
	}{
		{[]int{1, 2, 3}, true, ""},
		{[]int{1, 5, 3}, true, "Duplicated id: 5"},
		{[]int{1, 5, 3}, false, ""},
		{[]int{1, 2, 1}, false, "Duplicated id: 1"},
		{seq(10, 40), true, ""},
		{seq(501, 540), true, ""},
		{append(seq(600, 630), 500), true, "Duplicated id: 500"},
		{append(seq(600, 630), 500), false, ""},
		// In order, 900 repeats before 5 is met; sorted, 5 comes first.
		{append(append(seq(900, 920), 900), 5), true, "Duplicated id: 900"},
		// In order, 5 (in the collection) comes before the repeat of 610.
		{append(append(seq(600, 620), 5), 610), true, "Duplicated id: 5"},
		{append(append(seq(600, 620), 5), 610), false, "Duplicated id: 610"},
	} {
		recs := mustParseRecords(t, recordsJSON(tc.ids))
		var cp *collection.Collection
		if tc.coll {
			cp = &c
		}
		got := ""
		if err := checkBatchIDs(recs, cp); err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%d ids %v (collection %v): %q, want %q", len(tc.ids), tc.ids, tc.coll, got, tc.want)
		}
	}
}

// BenchmarkCheckBatchIDs checks batches of 1,000 new ascending ids against
// a collection of 200,000, as a bulk load's inserts do.
func BenchmarkCheckBatchIDs(b *testing.B) {
	var c collection.Collection
	for lo := 0; lo < 200_000; lo += 1000 {
		c = c.InsertMany(nil, mustParseRecords(b, recordsJSON(seq(lo, lo+1000))), nil, nil)
	}
	recs := mustParseRecords(b, recordsJSON(seq(200_000, 201_000)))
	b.ReportAllocs()
	for b.Loop() {
		if err := checkBatchIDs(recs, &c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}

func seq(lo, hi int) []int {
	var s []int
	for i := lo; i < hi; i++ {
		s = append(s, i)
	}
	return s
}

// recordsJSON returns a JSON array of records with the given ids.
func recordsJSON(ids []int) string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"id":%d}`, id)
	}
	sb.WriteByte(']')
	return sb.String()
}

func mustParseRecords(t testing.TB, arr string) []Record {
	t.Helper()
	q, err := ParseString(`["put","c",` + arr + `]`)
	if err != nil {
		t.Fatal(err)
	}
	return q.(Put).Records
}
