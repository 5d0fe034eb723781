package btree

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// TestRunSearch: a run's searches (block and scan through the two levels
// of its fence, the fence's binary search, seek from every earlier place) give what a binary search of the
// sorted keys gives, for runs whose sizes sit around the fence's strides,
// with short keys, longer ones, and keys past a run prefix whose words
// mostly tie (one byte, then the same prefixLen bytes: the second fence
// words and the scan of tied slots).
func TestRunSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = "\x00\x01ab\xff"
	randBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return b
	}
	for _, n := range []int{1, 2, 15, 16, 17, 255, 256, 257, 4095, 4096, 4097, 20000} {
		for _, shape := range []string{"short", "long", "tied"} {
			prefix := ""
			// key returns a random key of the shape; grow lengthens it
			// (short keys over a small alphabet run out).
			key := func(grow int) string {
				switch shape {
				case "short":
					return string(randBytes(rng.IntN(prefixLen + grow + 1)))
				case "long":
					return string(randBytes(rng.IntN(12 + grow + 1)))
				}
				b := append([]byte("pp"), randBytes(1)...)
				b = append(b, "\x01a\x01a\x01a\x01"...)
				return string(append(b, randBytes(rng.IntN(6+grow+1))...))
			}
			if shape == "tied" {
				prefix = "pp"
			}
			seen := map[string]bool{}
			var keys []string
			for len(keys) < n {
				k := key(len(keys) / 2000)
				if !seen[k] {
					seen[k] = true
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			lcp := commonPrefix(keys[0], keys[n-1])
			if lcp < len(prefix) {
				prefix = prefix[:lcp]
			}
			slots := make([]slot, n)
			for i, k := range keys {
				slots[i] = runSlot(k, len(prefix))
			}
			r := newRun(slots, prefix, false)
			if err := r.check(); err != nil {
				t.Fatal(err)
			}
			if shape == "tied" && n > 2*fenceEvery && r.fence2 == nil {
				t.Fatalf("n %d: no second fence words for keys whose words tie", n)
			}
			probes := append(slices.Clone(keys), "", "p", "pp", "pq", "\xff\xff\xff\xff\xff\xff\xff\xff\xff")
			for range 2000 {
				probes = append(probes, key(2))
			}
			for _, p := range probes {
				want := sort.SearchStrings(keys, p)
				wantOK := want < n && keys[want] == p
				pr := r.probe(p)
				if i, ok := r.find(pr); i != want || ok != wantOK {
					t.Fatalf("n %d: find(%q) = %d, %v; want %d, %v", n, p, i, ok, want, wantOK)
				}
				// The fence's answer: how many blocks begin at or below p
				// (for a probe with the run's prefix: the others are
				// answered before the fence is searched).
				blocks := sort.Search(len(r.fence), func(b int) bool { return keys[b*fenceEvery] > p })
				if got := r.upperFence(0, len(r.fence), pr); pr.out == 0 && got != blocks {
					t.Fatalf("n %d: upperFence(%q) = %d, want %d", n, p, got, blocks)
				}
				if got := r.topFence(pr); pr.out == 0 && got != blocks {
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
