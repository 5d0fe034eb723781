package index

import (
	"testing"
	"unsafe"
)

// TestVarintBack: every form reads back as written, from a pointer and from
// a string, with the size varSize gives.
func TestVarintBack(t *testing.T) {
	for _, v := range []int{0, 1, 127, 128, 129, 1<<14 - 1, 1 << 14, 1<<14 + 1, 1 << 20, varMax - 1} {
		b := appendBack([]byte("xyz"), v)
		if got := len(b) - 3; got != varSize(v) {
			t.Fatalf("%d: %d bytes, varSize says %d", v, got, varSize(v))
		}
		s := string(b)
		end := unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), len(s))
		if got, sz := readBack(end); got != v || sz != varSize(v) {
			t.Fatalf("%d: readBack gives %d (%d bytes)", v, got, sz)
		}
		if got, sz := readBackString(s, len(s)); got != v || sz != varSize(v) {
			t.Fatalf("%d: readBackString gives %d (%d bytes)", v, got, sz)
		}
	}
}
