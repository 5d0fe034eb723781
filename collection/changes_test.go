package collection

import (
	"slices"
	"strings"
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
		forms := 0
		for _, held := range []bool{c.many != nil && c.many.all != nil, c.many != nil && c.many.insPtrs != nil, c.one != ""} {
			if held {
				forms++
			}
		}
		if want := min(len(chs), 1); forms != want {
			t.Fatalf("MakeChanges(%v): %d forms held, want %d", chs, forms, want)
		}
	}
	if c := MakeChanges([]Change{{New: "x"}, {New: "y"}}); c.many == nil || c.many.all != nil || len(c.many.insPtrs) != 2 {
		t.Fatal("inserts are not held as keys alone")
	}
	long := strings.Repeat("k", 256) // too long for a length byte: held in full
	if c := MakeChanges([]Change{{New: "x"}, {New: long}}); c.many == nil || c.many.insPtrs != nil || !slices.Equal(c.All(), []Change{{New: "x"}, {New: long}}) {
		t.Fatal("a key of 256 bytes among inserts is not held in full")
	}
	if c := MakeChanges([]Change{{New: "x"}}); c.many != nil || c.one != "x" {
		t.Fatal("a single insert is not held in the value")
	}
	if n := testing.AllocsPerRun(100, func() { MakeChanges([]Change{{New: "x"}}) }); n != 0 {
		t.Fatalf("a single insert's changes took %v allocations, want 0", n)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("At(1) of a single insert did not panic")
		}
	}()
	MakeChanges([]Change{{New: "x"}}).At(1)
}
