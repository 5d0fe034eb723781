package btree

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

// TestWordOrder: whenever decided says the words order two keys, they order
// them as the keys' bytes do, and a slot gives back its key (at the same
// address, for keys shorter than longKey).
func TestWordOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const alphabet = "\x00\x01a\xff"
	key := func() string {
		var sb strings.Builder
		l := rng.IntN(12)
		if rng.IntN(8) == 0 {
			sb.WriteString(strings.Repeat("\x00", 250))
			l = rng.IntN(10)
		}
		for range l {
			sb.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		return sb.String()
	}
	undecided := 0
	for range 200000 {
		a, b := key(), key()
		wa, wb := word(a), word(b)
		if !decided(wa, wb) {
			undecided++
			if len(a) <= prefixLen || len(b) <= prefixLen || a[:prefixLen] != b[:prefixLen] {
				t.Fatalf("%q, %q: undecided", a, b)
			}
			continue
		}
		if (wa < wb) != (a < b) || (wa == wb) != (a == b) {
			t.Fatalf("%q (%#x), %q (%#x): words order them wrongly", a, wa, b, wb)
		}
	}
	if undecided == 0 {
		t.Fatal("no pair needed its bytes: the test checks nothing there")
	}
	for _, k := range []string{"", "a", "1234567", "12345678", strings.Repeat("x", 254), strings.Repeat("x", 255), strings.Repeat("y", 1000)} {
		p := slotPtr(k)
		got := slotKey(word(k), p)
		if got != k {
			t.Fatalf("slot of a %d-byte key gives back %d bytes", len(k), len(got))
		}
		if len(k) > 0 && unsafe.StringData(got) != unsafe.StringData(k) {
			t.Fatalf("slot of a %d-byte key gives back a copy", len(k))
		}
	}
}
