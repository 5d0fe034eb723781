package btree

import (
	"fmt"
	"testing"
	"unsafe"
)

// TestBuiltSeparatorsOwnTheirBytes: the separators of a built tree are copies, not
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
	for name, tr := range map[string]Tree[struct{}]{"built": built} {
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
