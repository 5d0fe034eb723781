package btree

import (
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
