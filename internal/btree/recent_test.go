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
	"unsafe"

	"github.com/fleetdb-go/fleetdb/internal/gctest"
)

// TestSetRecentKeepsVersions: single writes of keys anywhere (Put, Add,
// Delete) go to their parts' recent writes (recent.go), with and without a
// batch's token, and move into the deltas when full. Every version kept
// along the way still holds exactly its keys once later writes filled its
// array; writes that go on from a kept version (a branch) copy the array
// rather than write over the entries later versions hold; readers of old
// versions run while the writer appends (go test -race checks that they
// read nothing the writer writes).
func TestSetRecentKeepsVersions(t *testing.T) {
	defer func(d, p int) { deltaMin, partMax = d, p }(deltaMin, partMax)
	deltaMin, partMax = 64, 512
	key := func(rng *rand.Rand) string { return fmt.Sprintf("key-%05d", rng.IntN(3000)) }
	for _, borrowed := range []bool{false, true} {
		rng := rand.New(rand.NewPCG(21, 22))
		var kept []string // keeps every string a borrowed set was given alive
		s := emptySet(borrowed)
		var versions []keptVersion
		model := map[string]bool{}
		// write applies one random single write to s and its model m.
		write := func(s Set, m map[string]bool, e *Edit, what string) Set {
			k := strings.Clone(key(rng))
			switch op := rng.IntN(10); {
			case op < 5:
				s = s.Put(e, k)
				m[k], kept = true, append(kept, k)
			case op < 7:
				var added bool
				if s, added = s.Add(e, k); added == m[k] {
					t.Fatalf("%s: Add(%q): added %v, with the key in the set %v", what, k, added, m[k])
				}
				m[k], kept = true, append(kept, k)
			default:
				// A view of a scratch buffer, overwritten after: the set
				// must not keep it.
				buf := []byte(k)
				var ok bool
				s, ok = s.Delete(e, unsafe.String(unsafe.SliceData(buf), len(buf)))
				clear(buf)
				if ok != m[k] {
					t.Fatalf("%s: Delete(%q) = %v, with the key in the set %v", what, k, ok, m[k])
				}
				delete(m, k)
			}
			return s
		}
		var readers sync.WaitGroup
		for step := range 4000 {
			var e *Edit
			if rng.IntN(3) > 0 {
				e = NewEdit()
			}
			if rng.IntN(20) == 0 && len(versions) > 0 {
				// A branch: writes that go on from an old version.
				v := versions[rng.IntN(len(versions))]
				b, bm := v.s, map[string]bool{}
				for _, k := range v.keys {
					bm[k] = true
				}
				for range 1 + rng.IntN(5) {
					b = write(b, bm, NewEdit(), fmt.Sprintf("step %d: branch", step))
				}
				checkSetKeys(t, b, slices.Sorted(maps.Keys(bm)), fmt.Sprintf("step %d: branch", step))
				continue
			}
			s = write(s, model, e, fmt.Sprintf("step %d", step))
			if step%7 == 0 {
				v := keptVersion{s: s, keys: slices.Sorted(maps.Keys(model))}
				versions = append(versions, v)
				readKept(t, &readers, v, step)
			}
			if step%100 == 99 && borrowed {
				gctest.Scribble(16, 24, 32)
			}
		}
		readers.Wait()
		c := checkKept(t, s, model, versions, borrowed)
		for i, p := range c.list.parts {
			if p.nr != 0 || p.delta.root != nil {
				t.Fatalf("part %d keeps %d recent writes and a delta of %d keys after Compact", i, p.nr, p.delta.Len())
			}
		}
		runtime.KeepAlive(kept)
	}
}

// TestPartRecentExtends: a key appended at the run's end must lie past the
// recent writes placed there too (their marks would be wrong otherwise),
// and a write that fills the array moves every entry into the delta.
func TestPartRecentExtends(t *testing.T) {
	defer func(d int) { deltaMin = d }(deltaMin)
	deltaMin = 1 << 20 // no merge
	keys := keyRange(func(i int) string { return fmt.Sprintf("k%06d", i) })
	p := part{run: runOf(keys(0, 100), "k"), n: 100}
	p = p.Put(NewEdit(), "k000500") // past the run's end: appended to it
	if p.nr != 0 || p.run.len() != 101 {
		t.Fatalf("an id past every key: %d recent writes, a run of %d", p.nr, p.run.len())
	}
	p = p.Put(NewEdit(), "k000300") // below the run's last: a recent write
	if p.nr != 1 {
		t.Fatalf("a key among the run's: %d recent writes, want 1", p.nr)
	}
	p = p.Put(NewEdit(), "k000700")
	p = p.Put(NewEdit(), "k000600") // below k000700, placed at the run's end too
	if p.nr != 2 || p.run.len() != 102 {
		t.Fatalf("%d recent writes, a run of %d; want 2 and 102 (k000700 appended)", p.nr, p.run.len())
	}
	p = p.Put(NewEdit(), "m000001") // past the run's end, without its prefix: not appended
	if p.nr != 3 || p.rec.ents[2].m.pos != int32(p.run.len()) {
		t.Fatalf("a key without the run's prefix: %d recent writes, want 3, the last at the run's end", p.nr)
	}
	p = p.Put(NewEdit(), "k000800") // past the run's last key, below that recent write
	if p.nr != 4 || p.run.len() != 102 {
		t.Fatalf("a key below a recent write at the run's end: %d recent writes, a run of %d; want 4 and 102", p.nr, p.run.len())
	}
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
	for i := 0; p.nr > 0 || i == 0; i++ {
		p = p.Put(NewEdit(), fmt.Sprintf("k%06d", 200+i)) // among the run's keys
	}
	if p.delta.Len() != recentMax+1 {
		t.Fatalf("the write that filled the array left a delta of %d keys, want %d", p.delta.Len(), recentMax+1)
	}
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestCheckFindsBrokenRecentAndHot: Check names each broken invariant of
// the recent writes and the hot part, and the set they were copied from
// still checks.
func TestCheckFindsBrokenRecentAndHot(t *testing.T) {
	var b SetBuilder
	for i := range 100 {
		b.Add(fmt.Sprintf("k%05d", 2*i))
	}
	s := b.Set().Put(NewEdit(), "k00007") // a recent write, in the hot part
	if s.hot == nil || s.hot.nr != 1 {
		t.Fatalf("a single write left hot part %p with %d recent writes", s.hot, s.hot.nr)
	}
	broken := func(what string, change func(s *Set)) {
		t.Helper()
		bad := s
		h := *s.hot
		bad.hot = &h
		change(&bad)
		if err := bad.Check(); err == nil || !strings.Contains(err.Error(), what) {
			t.Errorf("Check = %v, want %q", err, what)
		}
	}
	broken("has a hot part 7", func(s *Set) { s.hotI = 7 })
	broken("holds other run arrays", func(s *Set) { s.hot.run = runOf([]string{"k00000", "k00002"}, "k") })
	broken("recent writes of an array", func(s *Set) { s.hot.nr = 3 })
	broken("has word", func(s *Set) {
		p := part{run: s.hot.run, n: s.hot.n}.Put(nil, "k00009") // an array of its own
		p.rec.words[0]++
		s.hot.rec, s.hot.nr = p.rec, p.nr
	})
	if err := s.Check(); err != nil || !s.Has("k00007") || s.Len() != 101 {
		t.Fatalf("the set the broken ones were copied from: %v, Len %d", err, s.Len())
	}
}
