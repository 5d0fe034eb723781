package btree

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// TestCompact: a compacted tree holds the same entries in full nodes of the padded size class
// asked for, checks out, leaves the original as it was, and takes writes like any tree.
func TestCompact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 15, 16, 17, 300, 5000} {
		var tr Tree[int]
		model := map[string]int{}
		for len(model) < n {
			k := fmt.Sprintf("k%08d", rng.IntN(1<<30))
			model[k] = len(model)
			tr = tr.Set(nil, k, model[k])
		}
		orig := entries(tr)
		for _, class := range []uint8{1, 2} {
			c := tr.Compact(class)
			if err := c.Check(); err != nil {
				t.Fatalf("n=%d class %d: %v", n, class, err)
			}
			if !slices.Equal(entries(c), orig) || c.Len() != n {
				t.Fatalf("n=%d class %d: entries differ", n, class)
			}
			if !slices.Equal(entries(tr), orig) {
				t.Fatalf("n=%d: compacting changed the original", n)
			}
			// Writes after compaction, against the model.
			m := maps(model)
			e := NewEdit()
			for i := 0; i < 200; i++ {
				k := fmt.Sprintf("k%08d", rng.IntN(1<<30))
				if rng.IntN(2) == 0 && len(m) > 0 {
					for mk := range m {
						k = mk
						break
					}
					c, _ = c.Delete(e, k)
					delete(m, k)
				} else {
					c = c.Set(e, k, i)
					m[k] = i
				}
			}
			if err := c.Check(); err != nil {
				t.Fatalf("n=%d class %d after writes: %v", n, class, err)
			}
			if c.Len() != len(m) {
				t.Fatalf("n=%d class %d after writes: %d keys, model %d", n, class, c.Len(), len(m))
			}
			for k, v := range m {
				if got, ok := c.Get(k); !ok || got != v {
					t.Fatalf("n=%d class %d: %q = %d %v, want %d", n, class, k, got, ok, v)
				}
			}
		}
	}
}

func entries(t Tree[int]) []string {
	var out []string
	t.AscendAll(func(k string, v int) bool {
		out = append(out, fmt.Sprintf("%s=%d", k, v))
		return true
	})
	return out
}

func maps(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestCompactClasses: for sets, the padded nodes land in size classes of their own (Go's
// classes around them: 288, 320, 352 for leaves; 416, 480, 576 for inner nodes).
func TestCompactClasses(t *testing.T) {
	leaf := unsafe.Sizeof(node[struct{}]{})
	in := unsafe.Sizeof(inner[struct{}]{})
	got := []uintptr{leaf, unsafe.Sizeof(leafPad1[struct{}]{}), unsafe.Sizeof(leafPad2[struct{}]{}),
		in, unsafe.Sizeof(innerPad1[struct{}]{}), unsafe.Sizeof(innerPad2[struct{}]{})}
	classes := []uintptr{288, 320, 352, 416, 480, 576}
	for i, size := range got {
		lo := uintptr(0)
		if i%3 > 0 {
			lo = classes[i-1]
		}
		if size > classes[i] || size <= lo {
			t.Errorf("node variant %d is %d bytes: not in the size class of %d bytes", i, size, classes[i])
		}
	}
}

// TestBuiltSeparatorsOwnTheirBytes: the separators of a built or compacted tree are copies, not
// substrings of its keys: a key is often part of a record's allocation, which a separator would
// otherwise keep alive after the key was deleted.
func TestBuiltSeparatorsOwnTheirBytes(t *testing.T) {
	// Every key lies inside one large allocation, as index keys lie in record blocks.
	var all []byte
	for i := range 5000 {
		all = fmt.Appendf(all, "key%06d|", i)
	}
	arena := string(all)
	lo, hi := uintptr(unsafe.Pointer(unsafe.StringData(arena))), uintptr(unsafe.Pointer(unsafe.StringData(arena)))+uintptr(len(arena))
	var b Builder[struct{}]
	for i := range 5000 {
		if err := b.Add(arena[i*10:i*10+9], struct{}{}); err != nil {
			t.Fatal(err)
		}
	}
	built := b.Tree()
	for name, tr := range map[string]Tree[struct{}]{"built": built, "compacted": built.Compact(1)} {
		seps := 0
		var walk func(n *node[struct{}])
		walk = func(n *node[struct{}]) {
			if n.kids == nil {
				return
			}
			for i := range n.n {
				s := n.key(i)
				if p := uintptr(unsafe.Pointer(unsafe.StringData(s))); p >= lo && p < hi {
					t.Fatalf("%s: separator %q points into the keys' allocation", name, s)
				}
				seps++
			}
			for _, k := range n.kids[:n.n+1] {
				walk(k)
			}
		}
		walk(tr.root)
		if seps == 0 {
			t.Fatalf("%s: no separators checked", name)
		}
	}
}
