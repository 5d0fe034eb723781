package btree

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fleetdb-go/fleetdb/internal/gctest"
)

// TestSetExtendKeepsVersions: keys that ascend past every key go to the
// end of the last part's run (extend.go), one at a time (Put, Add) and in
// sorted batches (PutSorted), among writes elsewhere (a delta beside the
// run), with and without a batch's token (which extends its own run in
// place). Every version kept along the way still holds exactly its keys once
// later ones filled the room of its arrays; a version extended a second
// time (a branch) copies rather than writing over the first branch's keys;
// and readers of old versions run while the writer extends (go test -race
// checks that they read nothing the writer writes).
func TestSetExtendKeepsVersions(t *testing.T) {
	defer func(d, p int) { deltaMin, partMax = d, p }(deltaMin, partMax)
	deltaMin, partMax = 8, 512
	key := func(i int) string { return fmt.Sprintf("id-%07d", i) }
	for _, borrowed := range []bool{false, true} {
		rng := rand.New(rand.NewPCG(11, 12))
		var kept []string // keeps every string a borrowed set was given alive
		s := emptySet(borrowed)
		var versions []keptVersion
		model := map[string]bool{}
		next := 0
		var pending []int
		var readers sync.WaitGroup
		var e *Edit // a batch's token, kept for a few steps
		for step := range 1500 {
			if rng.IntN(4) == 0 {
				e = nil
				if rng.IntN(2) == 0 {
					e = NewEdit()
				}
			}
			switch op := rng.IntN(11); {
			case op == 10 && next > 0:
				// An old key and new ids past a gap in one batch: the new
				// ones go to the delta, past the run's end, and the ids of
				// the gap, which come next (pending), lie between the
				// run's last key and the delta's.
				keys := []string{strings.Clone(key(rng.IntN(next)))}
				for i := next + 3; i < next+6; i++ {
					keys = append(keys, strings.Clone(key(i)))
				}
				pending = append(pending, next, next+1, next+2)
				next += 6
				s = s.PutSorted(e, keys)
				for _, k := range keys {
					model[k], kept = true, append(kept, k)
				}
			case op < 4: // one new id past the run's end
				id := next
				if len(pending) > 0 {
					id, pending = pending[0], pending[1:]
				} else {
					next++
				}
				k := strings.Clone(key(id))
				if rng.IntN(2) == 0 {
					s = s.Put(e, k)
				} else {
					var added bool
					// (A rewrite below may have added an id of the gap.)
					if s, added = s.Add(e, k); added == model[k] {
						t.Fatalf("step %d: Add(%q): added %v, with the key in the set %v", step, k, added, model[k])
					}
				}
				model[k], kept = true, append(kept, k)
			case op < 7 && len(pending) == 0: // a sorted batch of new ids
				var keys []string
				for range 1 + rng.IntN(40) {
					keys = append(keys, strings.Clone(key(next)))
					next++
				}
				s = s.PutSorted(e, keys)
				for _, k := range keys {
					model[k], kept = true, append(kept, k)
				}
			case op < 9 && next > 0: // a write among the keys: the delta
				k := strings.Clone(key(rng.IntN(next)))
				if rng.IntN(2) == 0 {
					s, _ = s.Delete(e, k)
					delete(model, k)
				} else {
					s = s.Put(e, k)
					model[k], kept = true, append(kept, k)
				}
			default: // a branch: an old version extended again
				if len(versions) == 0 {
					continue
				}
				v := versions[rng.IntN(len(versions))]
				k := key(next + 1_000_000)
				kept = append(kept, k)
				b := v.s.Put(nil, k)
				want := append(slices.Clone(v.keys), k)
				slices.Sort(want)
				checkSetKeys(t, b, want, fmt.Sprintf("step %d: branch", step))
			}
			if step%25 == 0 {
				e = NewEdit() // the batch ends: what it made is kept as it is
				v := keptVersion{s: s, keys: slices.Sorted(maps.Keys(model))}
				versions = append(versions, v)
				readKept(t, &readers, v, step)
			}
			if step%100 == 99 && borrowed {
				gctest.Scribble(16, 24, 32)
			}
		}
		readers.Wait()
		checkKept(t, s, model, versions, borrowed)
		runtime.KeepAlive(kept)
	}
	// Compact makes an extended run's arrays exact.
	var grown Set
	for i := range 300 {
		grown = grown.Put(nil, key(i))
	}
	roomy := func(s Set) bool {
		return slices.ContainsFunc(s.list.parts, func(p *part) bool { return p.run != nil && cap(p.run.slots) > len(p.run.slots) })
	}
	if !roomy(grown) {
		t.Fatal("300 ascending keys left no run with room to grow")
	}
	if c := grown.Compact(); roomy(c) {
		t.Fatal("a compacted set holds a run in arrays with room to spare")
	}
}

// TestRunExtendShares: an extension fills the room of the arrays it was
// made with (the same array, not a copy), and an older run extended again
// copies, leaving the first extension's keys as they were.
func TestRunExtendShares(t *testing.T) {
	keys := keyRange(func(i int) string { return fmt.Sprintf("k%06d", i) })
	r0 := runOf(keys(0, 100), "k")
	r1 := r0.extend(nil, keys(100, 150), false) // new arrays, with room
	r2 := r1.extend(nil, keys(150, 160), false) // in r1's room
	if &r2.slots[0] != &r1.slots[0] || r2.claim != r1.claim {
		t.Fatal("an extension of the longest run copied its arrays")
	}
	bad := *r2
	bad.claim = new(claim) // claims none of the arrays r2 fills
	if err := bad.check(); err == nil || !strings.Contains(err.Error(), "claim is 0") {
		t.Fatalf("check of a run its claim does not cover: %v", err)
	}
	b := r1.extend(nil, keys(500, 510), false) // r1's room past it is r2's
	if &b.slots[0] == &r1.slots[0] {
		t.Fatal("a second extension of a run wrote in the room another had claimed")
	}
	for _, c := range []struct {
		r    *run
		want []string
	}{
		{r0, keys(0, 100)}, {r1, keys(0, 150)}, {r2, keys(0, 160)}, {b, append(keys(0, 150), keys(500, 510)...)},
	} {
		if err := c.r.check(); err != nil {
			t.Fatal(err)
		}
		var got []string
		for i := range c.r.len() {
			got = append(got, c.r.key(i))
		}
		if !slices.Equal(got, c.want) {
			t.Fatalf("a run of %d keys holds %v…, want %v…", c.r.len(), got[:min(3, len(got))], c.want[:min(3, len(c.want))])
		}
		for i, k := range c.want {
			if j, ok := c.r.find(c.r.probe(k)); !ok || j != i {
				t.Fatalf("find(%q) = %d, %v; want %d", k, j, ok, i)
			}
		}
	}
	if r0.extendable([]string{"k000099"}) || r0.extendable([]string{"j"}) || r0.extendable([]string{"k100001", "k100000"}) {
		t.Fatal("extendable accepted keys that are not past the run's end in order, with its prefix")
	}
}

// keptVersion is a Set that a test keeps, with the keys it must hold.
type keptVersion struct {
	s    Set
	keys []string
}

// readKept starts a reader of version v on a goroutine of readers': it
// finds every key of v and counts them in a scan, three times, while the
// test's writer goes on (go test -race checks that they share no write).
func readKept(t *testing.T, readers *sync.WaitGroup, v keptVersion, step int) {
	readers.Go(func() {
		for range 3 {
			for _, k := range v.keys {
				if _, ok := v.s.GetKey(k); !ok {
					t.Errorf("step %d: a reader of an old version misses %q", step, k)
					return
				}
			}
			n := 0
			v.s.AscendAll(func(string) bool { n++; return true })
			if n != len(v.keys) {
				t.Errorf("step %d: a reader of an old version counted %d keys, want %d", step, n, len(v.keys))
				return
			}
		}
	})
}

// emptySet returns an empty Set, a borrowing one (borrow.go) with borrowed.
func emptySet(borrowed bool) Set {
	if borrowed {
		sb := SetBuilder{Borrowed: true}
		return sb.Set()
	}
	return Set{}
}

// checkKept checks s against model, then every kept version, and returns
// s compacted, checked too.
func checkKept(t *testing.T, s Set, model map[string]bool, versions []keptVersion, borrowed bool) Set {
	t.Helper()
	want := slices.Sorted(maps.Keys(model))
	checkSetKeys(t, s, want, "final")
	for i, v := range versions {
		checkSetKeys(t, v.s, v.keys, fmt.Sprintf("borrowed %v: version %d", borrowed, i))
	}
	c := s.Compact()
	checkSetKeys(t, c, want, "compacted")
	return c
}

// checkSetKeys compares s, checked, with the sorted keys want.
func checkSetKeys(t *testing.T, s Set, want []string, what string) {
	t.Helper()
	if err := s.Check(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	var got []string
	s.AscendAll(func(k string) bool { got = append(got, k); return true })
	if !slices.Equal(got, want) || s.Len() != len(want) {
		t.Fatalf("%s: %d keys (Len %d), want %d; first difference at %d", what, len(got), s.Len(), len(want), firstDiff(got, want))
	}
	for _, k := range want {
		if _, ok := s.GetKey(k); !ok {
			t.Fatalf("%s: %q not found", what, k)
		}
	}
}

// TestRunExtendSecondWords: the blocks an extension adds get the second
// words a run needs where its fence words tie (run.go, fence2), on the
// copying path and in place, and searches find every key.
func TestRunExtendSecondWords(t *testing.T) {
	// Keys of one letter tie on their first seven bytes ("a-commo").
	keys := keyRange(func(i int) string { return fmt.Sprintf("%c-common-%06d", 'a'+i/300, i) })
	r := runOf(keys(0, 500), "")
	copied := r.extend(nil, keys(500, 700), false)       // new arrays
	inPlace := copied.extend(nil, keys(700, 850), false) // in their room
	if &inPlace.slots[0] != &copied.slots[0] {
		t.Fatal("the second extension copied")
	}
	for _, x := range []struct {
		r, prev *run // the extension, the run it extended
		from    int  // the first block the extension added
		name    string
		blocks  int
	}{{copied, r, len(r.fence), "copied", len(copied.fence)}, {inPlace, copied, len(copied.fence), "in place", len(inPlace.fence)}} {
		if err := x.r.check(); err != nil {
			t.Fatalf("%s: %v", x.name, err)
		}
		for b := range x.from - 1 { // the old blocks keep theirs (the last may lose a tie)
			if x.r.fence2[b] != x.prev.fence2[b] {
				t.Fatalf("%s: block %d's second word %#x, was %#x", x.name, b, x.r.fence2[b], x.prev.fence2[b])
			}
		}
		for b := x.from; b < x.blocks; b++ {
			if needsWord2(x.r.fence, b) && (x.r.fence2 == nil || x.r.fence2[b] != word2(x.r.suffix(b*fenceEvery))) {
				t.Fatalf("%s: block %d, whose word ties with a neighbour's, has no second word", x.name, b)
			}
		}
		for i, k := range keys(0, x.r.len()) {
			if j, ok := x.r.find(x.r.probe(k)); !ok || j != i {
				t.Fatalf("%s: find(%q) = %d, %v; want %d", x.name, k, j, ok, i)
			}
		}
	}
}

// keyRange returns a function giving the keys key(lo) .. key(hi-1).
func keyRange(key func(int) string) func(lo, hi int) []string {
	return func(lo, hi int) []string {
		var ks []string
		for i := lo; i < hi; i++ {
			ks = append(ks, key(i))
		}
		return ks
	}
}

// runOf returns the run of keys (ascending, each with prefix).
func runOf(keys []string, prefix string) *run {
	slots := make([]slot, len(keys))
	for i, k := range keys {
		slots[i] = runSlot(k, len(prefix))
	}
	return newRun(slots, prefix, false)
}
