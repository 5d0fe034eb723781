package btree

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// TestRunSearch: a run's searches (block and scan through the two levels
// of its fence, the fence's binary search, seek from every earlier place) give what a binary search of the
// sorted keys gives, for runs whose sizes sit around the fence's strides.
func TestRunSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = "\x00\x01ab\xff"
	key := func(maxLen int) string {
		b := make([]byte, rng.IntN(maxLen+1))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	for _, n := range []int{1, 2, 15, 16, 17, 255, 256, 257, 4095, 4096, 4097, 20000} {
		for _, maxLen := range []int{prefixLen, 12} {
			seen := map[string]bool{}
			var keys []string
			for len(keys) < n {
				// Short keys over a small alphabet run out: lengthen them.
				k := key(maxLen + len(keys)/2000)
				if !seen[k] {
					seen[k] = true
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			slots := make([]slot, n)
			for i, k := range keys {
				slots[i] = runSlot(k, 0)
			}
			r := newRun(slots, "", false)
			if err := r.check(); err != nil {
				t.Fatal(err)
			}
			probes := append(slices.Clone(keys), "", "\xff\xff\xff\xff\xff\xff\xff\xff\xff")
			for range 2000 {
				probes = append(probes, key(maxLen+2))
			}
			for _, p := range probes {
				want := sort.SearchStrings(keys, p)
				wantOK := want < n && keys[want] == p
				pr := r.probe(p)
				if i, ok := r.find(pr); i != want || ok != wantOK {
					t.Fatalf("n %d: find(%q) = %d, %v; want %d, %v", n, p, i, ok, want, wantOK)
				}
				// The fence's answer: how many blocks begin at or below p.
				blocks := sort.Search(len(r.fence), func(b int) bool { return keys[b*fenceEvery] > p })
				if got := r.upperFence(0, len(r.fence), pr); got != blocks {
					t.Fatalf("n %d: upperFence(%q) = %d, want %d", n, p, got, blocks)
				}
				if got := r.topFence(pr); got != blocks {
					t.Fatalf("n %d: topFence(%q) = %d, want %d", n, p, got, blocks)
				}
				from := rng.IntN(want + 1)
				if got := r.seek(from, pr); got != want {
					t.Fatalf("n %d: seek(%d, %q) = %d, want %d", n, from, p, got, want)
				}
			}
		}
	}
}
