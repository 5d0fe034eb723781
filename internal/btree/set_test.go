package btree

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// setModel is the reference for a Set: the keys, sorted, each with the
// string it was stored as (Put stores the string given, and GetKey must
// return those very bytes).
type setModel struct {
	keys   []string
	stored map[string]string
}

func (m *setModel) clone() *setModel {
	c := &setModel{keys: slices.Clone(m.keys), stored: make(map[string]string, len(m.stored))}
	for k, v := range m.stored {
		c.stored[k] = v
	}
	return c
}

func (m *setModel) put(k string) {
	if i, ok := slices.BinarySearch(m.keys, k); !ok {
		m.keys = slices.Insert(m.keys, i, k)
	}
	m.stored[k] = k
}

func (m *setModel) del(k string) bool {
	i, ok := slices.BinarySearch(m.keys, k)
	if ok {
		m.keys = slices.Delete(m.keys, i, i+1)
		delete(m.stored, k)
	}
	return ok
}

// sameSet compares s with m: count, order both ways, bounded walks with
// early stops, lookups (and the stored strings' identity), Min, Max, Check.
func sameSet(t testing.TB, rng *rand.Rand, pool []string, s Set, m *setModel, what string) {
	t.Helper()
	if err := s.Check(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if s.Len() != len(m.keys) {
		t.Fatalf("%s: Len %d, want %d", what, s.Len(), len(m.keys))
	}
	var got []string
	s.AscendAll(func(k string) bool { got = append(got, k); return true })
	if !slices.Equal(got, m.keys) {
		t.Fatalf("%s: AscendAll\n got %q\nwant %q", what, got, m.keys)
	}
	got = got[:0]
	s.DescendAll(func(k string) bool { got = append(got, k); return true })
	if want := reversed(m.keys); !slices.Equal(got, want) && len(want) > 0 {
		t.Fatalf("%s: DescendAll\n got %q\nwant %q", what, got, want)
	}
	for range 8 {
		start := pool[rng.IntN(len(pool))]
		if rng.IntN(4) == 0 {
			start += "\x00"
		}
		limit := 1 + rng.IntN(20)
		i, _ := slices.BinarySearch(m.keys, start)
		want := m.keys[i:min(len(m.keys), i+limit)]
		got = got[:0]
		s.Ascend(start, func(k string) bool { got = append(got, k); return len(got) < limit })
		if !slices.Equal(got, want) {
			t.Fatalf("%s: Ascend(%q) limit %d\n got %q\nwant %q", what, start, limit, got, want)
		}
		j, ok := slices.BinarySearch(m.keys, start)
		if ok {
			j++
		}
		want = reversed(m.keys[max(0, j-limit):j])
		got = got[:0]
		s.Descend(start, func(k string) bool { got = append(got, k); return len(got) < limit })
		if !slices.Equal(got, want) && len(want) > 0 {
			t.Fatalf("%s: Descend(%q) limit %d\n got %q\nwant %q", what, start, limit, got, want)
		}
		k := pool[rng.IntN(len(pool))]
		stored, ok := s.GetKey(k)
		wantStored, wantOK := m.stored[k]
		if ok != wantOK || s.Has(k) != wantOK {
			t.Fatalf("%s: GetKey(%q) present %v, want %v", what, k, ok, wantOK)
		}
		if ok && unsafe.StringData(stored) != unsafe.StringData(wantStored) {
			t.Fatalf("%s: GetKey(%q) returned other bytes than those stored", what, k)
		}
	}
	// GetKeys: a batch of pool keys and keys between them, present and
	// absent, in random order, as GetKey finds them.
	batch := make([]string, 1+rng.IntN(100))
	for i := range batch {
		batch[i] = pool[rng.IntN(len(pool))]
		if rng.IntN(8) == 0 {
			batch[i] += "\x00"
		}
	}
	found := make([]string, len(batch))
	s.GetKeys(batch, found)
	for i, k := range batch {
		want := m.stored[k]
		if found[i] != want || (want != "" && unsafe.StringData(found[i]) != unsafe.StringData(want)) {
			t.Fatalf("%s: GetKeys: key %d %q found %q, want %q (the stored bytes)", what, i, k, found[i], want)
		}
	}
	mn, okMin := s.Min()
	mx, okMax := s.Max()
	if okMin != (len(m.keys) > 0) || okMax != okMin {
		t.Fatalf("%s: Min/Max ok %v %v on %d keys", what, okMin, okMax, len(m.keys))
	}
	if okMin && (mn != m.keys[0] || mx != m.keys[len(m.keys)-1]) {
		t.Fatalf("%s: Min %q Max %q, want %q %q", what, mn, mx, m.keys[0], m.keys[len(m.keys)-1])
	}
}

// TestSetModelRandom applies random writes to a Set and to a model, in
// segments with a long-lived Edit, nil edits and short batches; every
// segment's final Set is kept with its model and checked again later, so
// that no later write (a merge included) changes a published Set, and
// now and then writes go on from a kept Set instead (a branch: the recent
// writes and the runs that grow at their end, whose arrays the kept Set
// shares, must be copied). deltaMin is small so that merges happen every
// few dozen writes.
func TestSetModelRandom(t *testing.T) {
	defer func(v, p, r int) { deltaMin, partMax, recentMax = v, p, r }(deltaMin, partMax, recentMax)
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, seed^0x51ed2701))
	steps := modelSteps()
	type kept struct {
		s   Set
		m   *setModel
		seg int // the segment that made it
	}
	var olds []kept
	// Pools of keys that share a prefix (a run leaves it out of its words),
	// one of 260 bytes (a key is then too long for a slot's length byte while
	// its suffix is not), each with a few keys without it, which shrink a
	// run's prefix when they arrive.
	prefixes := []string{"", "user", strings.Repeat("z", 260)}
	for c := range 6 {
		for di, dm := range []int{1, 8, 64} {
			seg := c*3 + di
			// Parts of a few keys (cut often) or of all of them.
			deltaMin, partMax = dm, []int{4, 16, 1 << 17}[rng.IntN(3)]
			// Recent writes moved into the delta at every write, every few,
			// or as in use.
			recentMax = []int{1, 4, recentCap}[rng.IntN(3)]
			poolSize := []int{40, 600}[c%2]
			pool := keyPool(rng, poolSize)
			if pre := prefixes[c/2]; pre != "" {
				for i := range pool {
					if i%50 != 0 {
						pool[i] = pre + pool[i]
					}
				}
			}
			var s Set
			m := &setModel{stored: map[string]string{}}
			for step := 0; step < steps/18; {
				var e *Edit
				if rng.IntN(3) > 0 {
					e = NewEdit()
				}
				for n := 1 + rng.IntN(50); n > 0 && step < steps/18; n-- {
					step++
					// A fresh copy of the key's bytes, so that GetKey's
					// identity check sees which string was stored.
					k := strings.Clone(pool[rng.IntN(len(pool))])
					switch op := rng.IntN(10); {
					case op < 4:
						s = s.Put(e, k)
						m.put(k)
					case op < 6:
						var added bool
						s, added = s.Add(e, k)
						_, had := m.stored[k]
						if added == had {
							t.Fatalf("step %d: Add(%q) = %v with the key present: %v", step, k, added, had)
						}
						if added {
							m.put(k)
						}
					case op < 9:
						// Deleting with a scratch view that is then overwritten:
						// the set must not keep it.
						buf := []byte(k)
						var ok bool
						s, ok = s.Delete(e, unsafe.String(unsafe.SliceData(buf), len(buf)))
						clear(buf)
						if ok != m.del(k) {
							t.Fatalf("step %d: Delete(%q) = %v, model disagrees", step, k, ok)
						}
					default:
						ks := make([]string, 1+rng.IntN(30))
						for i := range ks {
							ks[i] = strings.Clone(pool[rng.IntN(len(pool))])
						}
						slices.Sort(ks)
						ks = slices.Compact(ks)
						s = s.PutSorted(e, ks)
						for _, k := range ks {
							m.put(k)
						}
					}
				}
				if rng.IntN(10) == 0 {
					s = s.Compact()
					if s.list != nil {
						for i, p := range s.list.parts {
							if p.delta.root != nil || p.nr != 0 {
								t.Fatalf("part %d keeps a delta of %d keys and %d recent writes after Compact", i, p.delta.Len(), p.nr)
							}
						}
					}
				}
				sameSet(t, rng, pool, s, m, "current")
				if rng.IntN(8) == 0 {
					olds = append(olds, kept{s, m.clone(), seg})
				}
				if len(olds) > 0 && rng.IntN(4) == 0 {
					o := olds[rng.IntN(len(olds))]
					sameSet(t, rng, pool, o.s, o.m, "kept")
					if rng.IntN(4) == 0 && o.seg == seg {
						s, m = o.s, o.m.clone() // a branch
					}
				}
			}
		}
	}
	for _, o := range olds {
		sameSet(t, rng, keyPool(rng, 10), o.s, o.m, "kept at the end")
	}
}

// TestSetBuilder loads sorted keys, refuses unsorted ones, and gives a Set
// that writes then change like any other.
func TestSetBuilder(t *testing.T) {
	var b SetBuilder
	keys := []string{"", "a", "ab", "abcdefgh", "abcdefgi", strings.Repeat("z", 300)}
	for _, k := range keys {
		if err := b.Add(k); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Add("b"); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("Add out of order: %v, want ErrOutOfOrder", err)
	}
	s := b.Set()
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	var got []string
	s.AscendAll(func(k string) bool { got = append(got, k); return true })
	if !slices.Equal(got, keys) {
		t.Fatalf("built %q, want %q", got, keys)
	}
	if (b.Set() != Set{}) {
		t.Fatal("the builder was not reset")
	}
	s2, ok := s.Delete(nil, "ab")
	if !ok || s2.Len() != len(keys)-1 || s.Len() != len(keys) || !s.Has("ab") || s2.Has("ab") {
		t.Fatal("Delete on a built set")
	}
}

// TestSetIterationDoesNotAllocate: scans sit on every read path.
func TestSetIterationDoesNotAllocate(t *testing.T) {
	var s Set
	e := NewEdit()
	for i := range 5000 {
		s = s.Put(e, strings.Repeat("k", i%7)+string(rune('a'+i%26))+strings.Repeat("x", i%13))
	}
	n := 0
	allocs := testing.AllocsPerRun(10, func() {
		s.Ascend("k", func(string) bool { n++; return n%50 != 0 })
		s.Descend("kk", func(string) bool { n++; return n%50 != 0 })
		s.AscendAll(func(string) bool { n++; return true })
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per scan", allocs)
	}
}

// TestSetPrefix: a run leaves out the prefix its keys share, keeps finding
// and scanning them, and drops the prefix when a key without it arrives.
func TestSetPrefix(t *testing.T) {
	defer func(v int) { deltaMin = v }(deltaMin)
	deltaMin = 4
	rng := rand.New(rand.NewPCG(3, 4))
	long := strings.Repeat("x", 300)
	m := &setModel{stored: map[string]string{}}
	var s Set
	var pool []string
	for i := range 500 {
		k := fmt.Sprintf("user%d@example.com", i*7919%1000)
		if i%3 == 0 {
			k = "user" + long + k // a key past the slot's length byte, its suffix not
		}
		pool = append(pool, k)
		s = s.Put(nil, k)
		m.put(k)
	}
	s = s.Compact()
	if p := s.list.parts[0].run.prefix; p != "user" {
		t.Fatalf("run prefix %q, want %q", p, "user")
	}
	sameSet(t, rng, pool, s, m, "with a prefix")
	for _, k := range []string{"use", "usea", "userz", "v", ""} { // outside it, on either side
		if s.Has(k) {
			t.Fatalf("Has(%q) on a run of user keys", k)
		}
	}
	s = s.Put(nil, "apple")
	m.put("apple")
	pool = append(pool, "apple")
	s = s.Compact()
	if p := s.list.parts[0].run.prefix; p != "" {
		t.Fatalf("run prefix %q after a key without it, want none", p)
	}
	sameSet(t, rng, pool, s, m, "prefix dropped")
}

// TestSetBuilderParts: a build past partMax comes out cut into parts, each
// in range, and takes writes and deletes like any set, down to empty.
func TestSetBuilderParts(t *testing.T) {
	defer func(d, p int) { deltaMin, partMax = d, p }(deltaMin, partMax)
	deltaMin, partMax = 4, 16
	rng := rand.New(rand.NewPCG(5, 6))
	var b SetBuilder
	m := &setModel{stored: map[string]string{}}
	var pool []string
	for i := range 1000 {
		k := fmt.Sprintf("key%05d", i)
		if err := b.Add(k); err != nil {
			t.Fatal(err)
		}
		m.put(k)
		pool = append(pool, k)
	}
	s := b.Set()
	if n := len(s.list.parts); n < 1000/partMax {
		t.Fatalf("%d parts for 1000 keys of at most %d", n, partMax)
	}
	sameSet(t, rng, pool, s, m, "built")
	for _, i := range rng.Perm(1000) {
		var ok bool
		if s, ok = s.Delete(nil, pool[i]); !ok || !m.del(pool[i]) {
			t.Fatalf("Delete(%q) = %v", pool[i], ok)
		}
		if i%97 == 0 {
			sameSet(t, rng, pool, s, m, "deleting")
		}
	}
	sameSet(t, rng, pool, s, m, "emptied")
	if s.Len() != 0 || len(s.list.parts) != 1 {
		t.Fatalf("emptied set: %d keys in %d parts", s.Len(), len(s.list.parts))
	}
}

// TestSetReadersWhileWriting: goroutines read a published Set (lookups and
// scans) while another derives new versions from it with batches of
// writes, merges and cuts included; under -race any write to memory the
// published Set shares would be reported, and the readers check that it
// never changes.
func TestSetReadersWhileWriting(t *testing.T) {
	defer func(d, p int) { deltaMin, partMax = d, p }(deltaMin, partMax)
	deltaMin, partMax = 8, 64
	var s Set
	e := NewEdit()
	for i := range 2000 {
		s = s.Put(e, fmt.Sprintf("k%05d", i*7%2000))
	}
	published := s // e is never used again
	want := 0
	published.AscendAll(func(string) bool { want++; return true })
	stop := make(chan struct{})
	errs := make(chan error, 2)
	for r := range 2 {
		go func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				k := fmt.Sprintf("k%05d", (i*13+r)%2000)
				if !published.Has(k) {
					errs <- fmt.Errorf("reader %d: %s missing", r, k)
					return
				}
				n := 0
				published.Ascend(k, func(string) bool { n++; return n < 50 })
				// Batches of lookups, on both readers at once.
				batch := []string{k, fmt.Sprintf("k%05d", (i*7+r)%2000), "zz"}
				found := make([]string, len(batch))
				published.GetKeys(batch, found)
				if found[0] != batch[0] || found[1] != batch[1] || found[2] != "" {
					errs <- fmt.Errorf("reader %d: GetKeys(%q) found %q", r, batch, found)
					return
				}
				if i%100 == 0 {
					all := 0
					published.AscendAll(func(string) bool { all++; return true })
					if all != want || published.Len() != want {
						errs <- fmt.Errorf("reader %d: %d keys (Len %d), want %d", r, all, published.Len(), want)
						return
					}
				}
			}
		}()
	}
	w := published
	for b := range 200 {
		e := NewEdit()
		for i := range 50 {
			k := fmt.Sprintf("k%05d", (b*50+i)*11%4000)
			if i%3 == 0 {
				w, _ = w.Delete(e, k)
			} else {
				w = w.Put(e, k)
			}
		}
		if b%50 == 0 {
			w = w.Compact()
		}
	}
	close(stop)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Check(); err != nil {
		t.Fatal(err)
	}
	if err := published.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestSetWriteAllocations: a persistent write into a set of many parts
// allocates nothing per part: into the part the last write changed (the
// hot part, hot.go), the new part and its recent writes' array (the one
// the last write filled is claimed by the set it made); into another
// part, also the list of parts with its array as one object (two past 32
// parts). The copied lists keep every part.
func TestSetWriteAllocations(t *testing.T) {
	defer func(d, p int) { deltaMin, partMax = d, p }(deltaMin, partMax)
	deltaMin, partMax = 64, 16
	seen := map[int]bool{}
	for _, keys := range []int{8, 16, 24, 72, 128, 136, 248, 256, 264, 320} {
		var b SetBuilder
		for i := range keys {
			b.Add(fmt.Sprintf("k%05d", i))
		}
		s := b.Set().Put(NewEdit(), "k00003x") // a recent write in the first part, now hot
		n := len(s.list.parts)
		seen[n] = true
		if allocs := testing.AllocsPerRun(20, func() { s.Put(nil, "k00004x") }); allocs != 2 {
			t.Errorf("%d parts: %v allocations per write into the hot part, want 2", n, allocs)
		}
		want := 3.0
		if n > 2*len(listMakers) {
			want = 4
		}
		last := fmt.Sprintf("k%05dx", keys-2)
		if allocs := testing.AllocsPerRun(20, func() { s.Put(nil, last) }); n > 1 && allocs != want {
			t.Errorf("%d parts: %v allocations per write into another part, want %v", n, allocs, want)
		}
		if s3 := s.Put(nil, last); s3.Check() != nil || !s3.Has(last) || s.Has(last) {
			t.Fatalf("%d parts: the write into another part went wrong", n)
		}
		s2 := s.Put(nil, "k00004x")
		if err := s2.Check(); err != nil || len(s2.list.parts) != n || !s2.Has("k00004x") || s.Has("k00004x") || s2.Len() != s.Len()+1 {
			t.Fatalf("%d parts: the write went wrong (%v)", n, err)
		}
	}
	if !seen[1] || !seen[32] || !seen[33] || len(seen) < 8 {
		t.Fatalf("part counts covered: %v", seen)
	}
}
