package btree

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestWordSeparator: where the words hold it, the separator made from them
// is separator's, and they hold it exactly when the keys differ, or the
// smaller ends, within the words' bytes.
func TestWordSeparator(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	alphabet := "\x00\x01ab\xff"
	key := func() string {
		var sb strings.Builder
		for range rng.IntN(12) {
			sb.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		if rng.IntN(20) == 0 {
			sb.WriteString(strings.Repeat("z", 300)) // a long key
		}
		return sb.String()
	}
	for range 100000 {
		lo, hi := key(), key()
		if lo == hi {
			continue
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		want := separator(lo, hi)
		got, ok := wordSeparator(word(lo), word(hi))
		if holds := len(want) <= prefixLen; ok != holds || ok && got != want {
			t.Fatalf("wordSeparator(%q, %q) = %q, %v; separator %q", lo, hi, got, ok, want)
		}
	}
}

// TestPutSortedPaths: a sorted put of keys that all come after the delta's
// goes down the delta's right edge, sharing its other leaves; one of keys
// among the delta's, as large a share of it, rebuilds it (no leaf shared,
// leaves full);
// both hold what one Put each would.
func TestPutSortedPaths(t *testing.T) {
	defer func(d int) { deltaMin = d }(deltaMin)
	deltaMin = 1 << 20 // no merge: the delta keeps every key
	key := func(i int) string { return fmt.Sprintf("k%06d", i) }
	var p part
	for i := 0; i < 400; i += 2 {
		p = p.Put(nil, key(i))
	}
	firstLeaf := func(p part) *node[mark] {
		var first *node[mark]
		p.delta.root.eachLeaf(func(l *node[mark]) {
			if first == nil {
				first = l
			}
		})
		return first
	}
	for _, c := range []struct {
		name   string
		keys   []string
		shared bool
	}{
		{"after", []string{key(401), key(403), key(405), key(407), key(409), key(411), key(413), key(415), key(417), key(419), key(421), key(423), key(425), key(427), key(429), key(431), key(433), key(435), key(437), key(439), key(441), key(443), key(445), key(447), key(449)}, true},
		{"among", []string{key(1), key(41), key(81), key(121), key(161), key(201), key(241), key(281), key(321), key(361), key(363), key(365), key(367), key(369), key(371), key(373), key(375), key(377), key(379), key(381), key(383), key(385), key(387), key(389), key(391)}, false},
	} {
		if len(c.keys)*rebuildShare < p.delta.n {
			t.Fatalf("%s: %d keys are too few a share of a delta of %d to rebuild it", c.name, len(c.keys), p.delta.n)
		}
		q := p.PutSorted(NewEdit(), c.keys)
		if got := firstLeaf(q) == firstLeaf(p); got != c.shared {
			t.Errorf("%s: first leaf shared %v, want %v", c.name, got, c.shared)
		}
		if !c.shared {
			// Rebuilt: every leaf full but the last two (which share).
			var sizes []int
			q.delta.root.eachLeaf(func(l *node[mark]) { sizes = append(sizes, l.n) })
			for i, n := range sizes[:max(0, len(sizes)-2)] {
				if n != leafMax {
					t.Errorf("%s: leaf %d of %v not full", c.name, i, sizes)
				}
			}
		}
		want := p
		for _, k := range c.keys {
			want = want.Put(nil, k)
		}
		want = want.flushed(nil) // Put keeps its latest keys beside the delta (recent.go)
		if q.n != want.n {
			t.Fatalf("%s: %d keys, want %d", c.name, q.n, want.n)
		}
		if err := q.Check(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got, exp []string
		q.delta.AscendAll(func(k string, _ mark) bool { got = append(got, k); return true })
		want.delta.AscendAll(func(k string, _ mark) bool { exp = append(exp, k); return true })
		if fmt.Sprint(got) != fmt.Sprint(exp) {
			t.Fatalf("%s: keys %v, want %v", c.name, got, exp)
		}
	}
}
