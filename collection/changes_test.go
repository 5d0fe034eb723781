package collection

import (
	"slices"
	"testing"
)

// TestMakeChanges: the compact form of inserts and the general form give
// back the same changes, in their own storage.
func TestMakeChanges(t *testing.T) {
	for _, chs := range [][]Change{
		nil,
		{{New: "a"}},
		{{New: "a"}, {New: "b"}, {New: "c"}},
		{{New: "a"}, {Old: "b", New: "b"}, {Old: "c"}},
		{{Old: "a"}},
	} {
		src := slices.Clone(chs)
		c := MakeChanges(src)
		if c.Len() != len(chs) || !slices.Equal(c.All(), append([]Change{}, chs...)) {
			t.Fatalf("MakeChanges(%v) gives %v", chs, c.All())
		}
		clear(src) // the caller's scratch is reused
		if !slices.Equal(c.All(), append([]Change{}, chs...)) {
			t.Fatalf("MakeChanges(%v) shares the caller's slice", chs)
		}
		if inserts := len(chs) > 0 && c.all == nil; inserts != (len(chs) > 0 && c.inserted != nil) {
			t.Fatalf("MakeChanges(%v): both forms", chs)
		}
	}
	if c := MakeChanges([]Change{{New: "x"}, {New: "y"}}); c.all != nil || len(c.inserted) != 2 {
		t.Fatal("inserts are not held as keys alone")
	}
}
