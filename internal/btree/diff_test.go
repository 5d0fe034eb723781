package btree

import (
	"fmt"
	"math/rand"
	"testing"
)

// TestDiffRandom diffs trees derived from one another by random edits
// (under a fresh edit, in place under one edit, or rebuilt from scratch)
// against the difference of two plain maps.
func TestDiffRandom(t *testing.T) {
	seed := rand.Int63()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	for round := 0; round < 300; round++ {
		size := rng.Intn(3000)
		if round%3 == 0 {
			size = rng.Intn(40)
		}
		var a Tree[int]
		ma := map[string]int{}
		e := NewEdit()
		for i := 0; i < size; i++ {
			k := fmt.Sprintf("k%05d", rng.Intn(size*2+1))
			a = a.Set(e, k, i)
			ma[k] = i
		}
		b := a
		mb := map[string]int{}
		for k, v := range ma {
			mb[k] = v
		}
		e2 := NewEdit()
		changes := rng.Intn(50)
		if rng.Intn(10) == 0 {
			changes = rng.Intn(size + 1)
		}
		for i := 0; i < changes; i++ {
			k := fmt.Sprintf("k%05d", rng.Intn(size*2+1))
			switch rng.Intn(3) {
			case 0:
				b, _ = b.Delete(e2, k)
				delete(mb, k)
			case 1:
				b = b.Set(e2, k, mb[k]) // same value: no difference
				mb[k] = mb[k]
			default:
				b = b.Set(e2, k, -i-1)
				mb[k] = -i - 1
			}
		}
		want := map[string][2]int{}
		for k, v := range ma {
			if w, ok := mb[k]; !ok {
				want[k] = [2]int{v, -1 << 30}
			} else if w != v {
				want[k] = [2]int{v, w}
			}
		}
		for k, w := range mb {
			if _, ok := ma[k]; !ok {
				want[k] = [2]int{-1 << 30, w}
			}
		}
		got := map[string][2]int{}
		last := ""
		Diff(a, b, func(_ string, x int, _ string, y int) bool { return x == y }, func(ko string, o int, hasO bool, kn string, n int, hasN bool) bool {
			k := ko
			if !hasO {
				k = kn
			}
			if k <= last && last != "" {
				t.Fatalf("seed %d: keys out of order: %q after %q", seed, k, last)
			}
			last = k
			if !hasO {
				o = -1 << 30
			}
			if !hasN {
				n = -1 << 30
			}
			got[k] = [2]int{o, n}
			return true
		})
		if len(got) != len(want) {
			t.Fatalf("seed %d round %d: %d differences, want %d", seed, round, len(got), len(want))
		}
		for k, w := range want {
			if got[k] != w {
				t.Fatalf("seed %d round %d: key %s: got %v want %v", seed, round, k, got[k], w)
			}
		}
	}
}
