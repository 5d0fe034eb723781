package btree

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/fleetdb-go/fleetdb/internal/gctest"
)

// TestBorrowingSetKeys checks the borrowing rule (borrow.go) the way the
// database relies on it: the only references to the keys are the test's
// map of current keys (a record map's part), every write stores a key in
// a new allocation, and after each collection the freed memory is
// scribbled over. A run that needed a key nothing else held (a key the
// delta stores anew, a long key's header) would then read other bytes, and
// the comparisons, Check or the lookups below would fail, or the collector
// would find a pointer into freed memory and crash. Keys tie in their
// first seven bytes past the runs' prefix, so searches read key bytes.
func TestBorrowingSetKeys(t *testing.T) {
	defer func(d, p int) { deltaMin, partMax = d, p }(deltaMin, partMax)
	deltaMin, partMax = 8, 64
	// Keys 0..n-1, the even ones built into the first runs; keys n and up
	// are long (a string header of their own), every tenth of them, and
	// come only through writes, so that a merge must notice them.
	const n, extra = 400, 100
	text := func(i int) string {
		mid := "-common-middle-"
		if i >= n && i%10 == 0 {
			mid += strings.Repeat("x", 300)
		}
		return fmt.Sprintf("p%03d%s%05d", i%7, mid, i)
	}
	fresh := func(i int) string { return string([]byte(text(i))) } // a new allocation
	for seed := range uint64(4) {
		rng := rand.New(rand.NewPCG(seed, 7))
		stored := map[int]string{}
		for i := range n / 2 {
			stored[2*i] = fresh(2 * i)
		}
		b := SetBuilder{Borrowed: true}
		for _, k := range sortedValues(stored) {
			if err := b.Add(k); err != nil {
				t.Fatal(err)
			}
		}
		s := b.Set()
		var e *Edit
		for step := range 3000 {
			if step%40 == 0 {
				e = nil
				if rng.IntN(2) == 0 {
					e = NewEdit()
				}
			}
			i := rng.IntN(n + extra)
			switch rng.IntN(5) {
			case 0, 1: // put anew: the old string is dropped
				k := fresh(i)
				s = s.Put(e, k)
				stored[i] = k
			case 2:
				s, _ = s.Delete(e, text(i))
				delete(stored, i)
			case 3:
				k := fresh(i)
				var added bool
				if s, added = s.Add(e, k); added {
					stored[i] = k
				}
			case 4: // a sorted batch, large enough to rebuild a delta
				var keys []string
				for j := i; j < min(n+extra, i+10+rng.IntN(40)); j++ {
					keys = append(keys, fresh(j))
				}
				slices.Sort(keys)
				s = s.PutSorted(e, keys)
				for _, k := range keys {
					var j int
					fmt.Sscanf(k[len(k)-5:], "%d", &j)
					stored[j] = k
				}
			}
			if step%50 == 49 {
				gctest.Scribble(24, 32, 48, 330, 352)
				checkBorrowed(t, s, stored, fmt.Sprintf("seed %d step %d", seed, step))
			}
		}
		s = s.Compact()
		gctest.Scribble(24, 32, 48, 330, 352)
		checkBorrowed(t, s, stored, fmt.Sprintf("seed %d compacted", seed))
	}
}

// checkBorrowed compares s with the keys stored: their bytes in order, and
// each lookup finding the very string stored.
func checkBorrowed(t *testing.T, s Set, stored map[int]string, what string) {
	t.Helper()
	if err := s.Check(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	want := sortedValues(stored)
	var got []string
	s.AscendAll(func(k string) bool { got = append(got, strings.Clone(k)); return true })
	if !slices.Equal(got, want) {
		t.Fatalf("%s: %d keys, want %d; first difference at %d", what, len(got), len(want), firstDiff(got, want))
	}
	for _, k := range want {
		found, ok := s.GetKey(strings.Clone(k))
		if !ok || unsafe.StringData(found) != unsafe.StringData(k) {
			t.Fatalf("%s: GetKey(%.20q…) = %v, not the string stored", what, k, ok)
		}
	}
}

func sortedValues(m map[int]string) []string {
	vs := make([]string, 0, len(m))
	for _, v := range m {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestBorrowingSetHotKey: one key written again and again, each time in a
// new allocation, adds to its part's shadow list while the delta stays one
// key long; the list is bounded as the delta is (a merge drops it), so the
// set holds on to no more than that many old strings.
func TestBorrowingSetHotKey(t *testing.T) {
	b := SetBuilder{Borrowed: true}
	keys := make([]string, 1000) // what keeps the keys alive
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%05d", i)
		if err := b.Add(keys[i]); err != nil {
			t.Fatal(err)
		}
	}
	s := b.Set()
	e := NewEdit()
	longest := 0
	for i := range 10_000 {
		if i%100 == 0 {
			e = NewEdit() // a transaction per hundred writes
		}
		keys[500] = string([]byte("key-00500"))
		s = s.Put(e, keys[500])
		for _, p := range s.list.parts {
			longest = max(longest, p.shadowLen())
		}
	}
	if bound := max(deltaMin, 1000/deltaShare); longest > bound {
		t.Fatalf("a shadow list grew to %d entries, past the bound %d", longest, bound)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	if s.Len() != 1000 || !s.Has("key-00500") {
		t.Fatalf("%d keys; the hot one present: %v", s.Len(), s.Has("key-00500"))
	}
	runtime.KeepAlive(keys)
}
