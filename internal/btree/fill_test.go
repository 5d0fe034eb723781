package btree

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// leafFill returns the number of leaves of t and their mean fill (keys per
// leaf over leafMax).
func leafFill[V any](t Tree[V]) (leaves int, fill float64) {
	var walk func(n *node[V])
	walk = func(n *node[V]) {
		if n.isLeaf() {
			leaves++
			return
		}
		for _, k := range n.kids[:n.n+1] {
			walk(k)
		}
	}
	if t.root != nil {
		walk(t.root)
	}
	if leaves == 0 {
		return 0, 0
	}
	return leaves, float64(t.Len()) / float64(leaves*leafMax)
}

// TestFill checks how full inserts leave the leaves: ascending keys (ids of a
// bulk load) fill them on the right spine, ascending runs in the middle of
// the tree and random keys share full leaves with a neighbour before
// splitting. The figures are the memory per key of every index and record
// map, so a change of split policy that loses them fails here.
func TestFill(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 3))
	const n = 20000
	cases := []struct {
		name    string
		key     func(i int) string
		minFill float64
	}{
		{"ascending", func(i int) string { return fmt.Sprintf("%08d", i) }, 0.95},
		{"random", func(int) string { return fmt.Sprintf("%016x", rng.Uint64()) }, 0.75},
		// Runs of 200 ascending keys, each run at a random place.
		{"runs", func(i int) string { return fmt.Sprintf("%08d-%04d", splitmix(uint64(i/200))%1e8, i%200) }, 0.75},
	}
	for _, c := range cases {
		for _, e := range []*Edit{nil, NewEdit()} {
			var tree Tree[int]
			for i := range n {
				tree = tree.Set(e, c.key(i), i)
			}
			if err := tree.Check(); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			leaves, fill := leafFill(tree)
			t.Logf("%s (edit %v): %d keys in %d leaves, %.0f%% full", c.name, e != nil, tree.Len(), leaves, 100*fill)
			if fill < c.minFill {
				t.Errorf("%s (edit %v): leaves %.0f%% full, want at least %.0f%%", c.name, e != nil, 100*fill, 100*c.minFill)
			}
		}
	}
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
