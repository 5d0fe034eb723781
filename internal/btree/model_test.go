package btree

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	seedFlag  = flag.Uint64("btree.seed", 0, "seed for the random model tests (0: from $BTREE_SEED, else the clock)")
	stepsFlag = flag.Int("btree.steps", 0, "operations of TestModelRandom and TestSetModelRandom (0: 20000, 5000 with -short)")
)

// testSeed returns the seed for a random test and arranges for it to be
// printed if the test fails, so that the run can be replayed.
func testSeed(t testing.TB) uint64 {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		if s := os.Getenv("BTREE_SEED"); s != "" {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				t.Fatalf("BTREE_SEED=%q: %v", s, err)
			}
			seed = v
		}
	}
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay with: go test -run '^%s$' ./internal/btree/ -btree.seed=%d", t.Name(), seed)
		}
	})
	return seed
}

// modelSteps returns the operations of a random model test: -btree.steps,
// else 20,000 (5,000 with -short).
func modelSteps() int {
	switch {
	case *stepsFlag > 0:
		return *stepsFlag
	case testing.Short():
		return 5000
	}
	return 20000
}

type entry struct {
	k string
	v int
}

// model is the reference: a sorted slice of entries.
type model []entry

func (m model) find(k string) (int, bool) {
	return slices.BinarySearchFunc(m, k, func(e entry, k string) int { return strings.Compare(e.k, k) })
}

func (m model) set(k string, v int) model {
	i, ok := m.find(k)
	if ok {
		m[i].v = v
		return m
	}
	return slices.Insert(m, i, entry{k, v})
}

func (m model) delete(k string) (model, bool) {
	i, ok := m.find(k)
	if !ok {
		return m, false
	}
	return slices.Delete(m, i, i+1), true
}

// ascend returns up to limit entries with keys >= start, ascending.
func (m model) ascend(start string, limit int) []entry {
	i, _ := m.find(start)
	return slices.Clone(m[i:min(len(m), i+limit)])
}

// descend returns up to limit entries with keys <= start, descending.
func (m model) descend(start string, limit int) []entry {
	i, ok := m.find(start)
	if ok {
		i++
	}
	var out []entry
	for j := i - 1; j >= 0 && len(out) < limit; j-- {
		out = append(out, m[j])
	}
	return out
}

func collect(walk func(func(string, int) bool), limit int) []entry {
	var out []entry
	if limit == 0 {
		return out
	}
	walk(func(k string, v int) bool {
		out = append(out, entry{k, v})
		return len(out) < limit
	})
	return out
}

// sameAs fails t if tree does not hold exactly the entries of m, in order
// both ways, or breaks an invariant.
func sameAs(t testing.TB, tree Tree[int], m model, what string) {
	t.Helper()
	if err := tree.Check(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if tree.Len() != len(m) {
		t.Fatalf("%s: Len %d, model has %d", what, tree.Len(), len(m))
	}
	got := collect(tree.AscendAll, len(m)+1)
	if !slices.Equal(got, []entry(m)) && len(m)+len(got) > 0 {
		t.Fatalf("%s: AscendAll differs from the model:\n got %v\nwant %v", what, got, m)
	}
	got = collect(tree.DescendAll, len(m)+1)
	for i := range got {
		if got[i] != m[len(m)-1-i] {
			t.Fatalf("%s: DescendAll differs from the model at %d: %v", what, i, got[i])
		}
	}
	if len(got) != len(m) {
		t.Fatalf("%s: DescendAll gave %d entries, want %d", what, len(got), len(m))
	}
}

// keyPool returns n distinct random keys: short strings over a tiny alphabet
// (so that many are prefixes of others, the empty key among them; up to 9
// bytes, so that keys on both sides of the 7 bytes a node's word holds
// tie on their prefixes), longer ones, and some of 250 to 259 bytes that
// share their first 250 (on both sides of the length at which a slot
// holds a string header instead of the bytes' address; see slot.go).
func keyPool(rng *rand.Rand, n int) []string {
	const alphabet = "\x00ab\xff"
	seen := map[string]bool{"": true}
	pool := []string{""}
	for len(pool) < n {
		var sb strings.Builder
		l := rng.IntN(10)
		switch rng.IntN(16) {
		case 0, 1, 2, 3:
			l = 8 + rng.IntN(12)
		case 4:
			sb.WriteString(strings.Repeat("a", 250))
			l = rng.IntN(10)
		}
		for range l {
			sb.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		if s := sb.String(); !seen[s] {
			seen[s] = true
			pool = append(pool, s)
		}
	}
	return pool
}

type snapshot struct {
	tree Tree[int]
	m    model
	step int
}

// TestModelRandom applies random operations to a Tree and to a model and
// compares them after every step. Edits run in segments: a long-lived Edit,
// nil (persistent) edits, a fresh Edit for a short batch. Whenever a segment
// ends its token is retired for good, so the tree at that point must never
// change again: it is kept, with a copy of the model, and checked later.
func TestModelRandom(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	steps := modelSteps()
	pool := keyPool(rng, 4000)
	key := func() string { return pool[rng.IntN(len(pool))] }

	var (
		tree    Tree[int]
		m       model
		tok     *Edit // nil in persistent segments
		segLeft int
		snaps   []snapshot
	)
	newSegment := func() {
		switch rng.IntN(3) {
		case 0:
			tok = nil
		default:
			tok = NewEdit()
		}
		switch rng.IntN(3) {
		case 0:
			segLeft = 1 + rng.IntN(10)
		case 1:
			segLeft = 10 + rng.IntN(300)
		default:
			segLeft = 1000 + rng.IntN(4000) // long-lived
		}
	}
	keep := func(step int) {
		s := snapshot{tree, slices.Clone(m), step}
		if len(snaps) < 24 {
			snaps = append(snaps, s)
		} else {
			snaps[rng.IntN(len(snaps))] = s
		}
	}
	verifySnaps := func(step int) {
		for _, s := range snaps {
			sameAs(t, s.tree, s.m, fmt.Sprintf("step %d: snapshot from step %d", step, s.step))
		}
	}
	newSegment()

	for step := 0; step < steps; step++ {
		if segLeft == 0 {
			keep(step) // tok is retired: this tree is now immutable
			if len(snaps) > 0 && rng.IntN(8) == 0 {
				// Go back to an old version and edit it onward.
				s := snaps[rng.IntN(len(snaps))]
				tree, m = s.tree, slices.Clone(s.m)
			}
			newSegment()
		}
		segLeft--
		if tok == nil && rng.IntN(200) == 0 {
			keep(step) // all owners are retired in a persistent segment
		}

		// Grow for a while, then shrink, so that the tree both deepens
		// and collapses back to a single leaf or nothing.
		pSet, pRun := 75, 3
		if (step/3000)%2 == 1 {
			pSet, pRun = 10, 0 // no runs: the tree must shrink
		}
		what := fmt.Sprintf("step %d", step)
		switch r := rng.IntN(100); {
		case r < pSet && rng.IntN(2) == 0:
			k, v := key(), step
			tree = tree.Set(tok, k, v)
			m = m.set(k, v)
			what += fmt.Sprintf(": Set(%q)", k)
		case r < pSet:
			// Add: like Set for a new key; a key already there keeps its
			// value and the tree is the same value, nothing copied.
			k, v := key(), step
			_, had := m.find(k)
			before := tree
			var added bool
			tree, added = tree.Add(tok, k, v)
			if added == had {
				t.Fatalf("%s: Add(%q) = %v, want %v", what, k, added, !had)
			}
			if had && tree != before {
				t.Fatalf("%s: Add(%q) of a present key changed the tree", what, k)
			}
			if !had {
				m = m.set(k, v)
			}
			what += fmt.Sprintf(": Add(%q)", k)
		case r < pSet+pRun:
			// An ascending run of new keys after an existing key (in the
			// middle of the tree) or after every key (on the right spine):
			// the patterns of sequential ids that split leaves unevenly or
			// share them with a neighbour.
			base := key()
			if rng.IntN(2) == 0 && len(m) > 0 {
				base = m[len(m)-1].k
			}
			run := 1 + rng.IntN(40)
			for j := range run {
				k, v := fmt.Sprintf("%s~%03d", base, j), step
				tree = tree.Set(tok, k, v)
				m = m.set(k, v)
			}
			what += fmt.Sprintf(": %d ascending Sets after %q", run, base)
		case r < 88:
			k := key()
			if len(m) > 0 && rng.IntN(2) == 0 {
				k = m[rng.IntN(len(m))].k
			}
			var ok, want bool
			tree, ok = tree.Delete(tok, k)
			m, want = m.delete(k)
			if ok != want {
				t.Fatalf("%s: Delete(%q) = %v, want %v", what, k, ok, want)
			}
			what += fmt.Sprintf(": Delete(%q)", k)
		case r < 93:
			k := key()
			v, ok := tree.Get(k)
			i, want := m.find(k)
			if ok != want || (ok && v != m[i].v) {
				t.Fatalf("%s: Get(%q) = %v, %v; want presence %v", what, k, v, ok, want)
			}
		case r < 96:
			start, limit := key(), rng.IntN(80)
			got := collect(func(fn func(string, int) bool) { tree.Ascend(start, fn) }, limit)
			if want := m.ascend(start, limit); !slices.Equal(got, want) && len(got)+len(want) > 0 {
				t.Fatalf("%s: Ascend(%q) limit %d:\n got %v\nwant %v", what, start, limit, got, want)
			}
		default:
			start, limit := key(), rng.IntN(80)
			got := collect(func(fn func(string, int) bool) { tree.Descend(start, fn) }, limit)
			if want := m.descend(start, limit); !slices.Equal(got, want) && len(got)+len(want) > 0 {
				t.Fatalf("%s: Descend(%q) limit %d:\n got %v\nwant %v", what, start, limit, got, want)
			}
		}
		if tree.Len() != len(m) {
			t.Fatalf("%s: Len %d, model has %d", what, tree.Len(), len(m))
		}
		if len(m) == 0 && tree != (Tree[int]{}) {
			t.Fatalf("%s: empty tree is not the zero Tree", what)
		}
		if err := tree.Check(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if step%64 == 0 {
			sameAs(t, tree, m, what)
			checkMinMax(t, tree, m, what)
		}
		if step%200 == 0 {
			verifySnaps(step)
		}
	}
	sameAs(t, tree, m, "end")
	verifySnaps(steps)
}

func checkMinMax(t testing.TB, tree Tree[int], m model, what string) {
	t.Helper()
	k, v, ok := tree.Min()
	if ok != (len(m) > 0) || (ok && (entry{k, v}) != m[0]) {
		t.Fatalf("%s: Min() = %q, %v, %v", what, k, v, ok)
	}
	k, v, ok = tree.Max()
	if ok != (len(m) > 0) || (ok && (entry{k, v}) != m[len(m)-1]) {
		t.Fatalf("%s: Max() = %q, %v, %v", what, k, v, ok)
	}
}
