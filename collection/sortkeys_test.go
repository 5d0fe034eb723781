package collection

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestSortKeys: sortKeys sorts as slices.Sort does, for keys that differ
// early, share long prefixes, extend each other (by zero bytes too), are
// empty or short, repeat, or come sorted or reversed.
func TestSortKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := "\x00\x01ab\xff"
	for round := range 500 {
		n := rng.IntN(300)
		keys := make([]string, n)
		shared := strings.Repeat("p", rng.IntN(24))
		for i := range keys {
			var sb strings.Builder
			if rng.IntN(2) == 0 {
				sb.WriteString(shared)
			}
			for range rng.IntN(20) {
				sb.WriteByte(alphabet[rng.IntN(len(alphabet))])
			}
			keys[i] = sb.String()
		}
		switch round % 10 {
		case 0:
			slices.Sort(keys)
		case 1:
			slices.Sort(keys)
			slices.Reverse(keys)
		}
		want := slices.Clone(keys)
		slices.Sort(want)
		sortKeys(keys)
		if !slices.Equal(keys, want) {
			t.Fatalf("round %d: sortKeys gave\n%q\nwant\n%q", round, keys, want)
		}
	}
}

func FuzzSortKeys(f *testing.F) {
	f.Add("a\x00b\x00ab\x00a\x00\x00", byte(0))
	f.Add("pppppppppppppppppx,pppppppppppppppppp,,p,pp\x00,pp\x00\x00,a,b,c,d,e,f,g,h,i,j,k,l,m,n", byte(','))
	f.Fuzz(func(t *testing.T, joined string, sep byte) {
		keys := strings.Split(joined, string([]byte{sep}))
		want := slices.Clone(keys)
		slices.Sort(want)
		sortKeys(keys)
		if !slices.Equal(keys, want) {
			t.Fatalf("sortKeys(%q) = %q", want, keys)
		}
	})
}

// BenchmarkSortKeys sorts batches of 1,000 keys shaped like a bulk load's
// index keys (e-mail addresses of ascending ids, scores, (city, age, id)
// entries), each in an allocation of its own as keys sit in their records'
// blocks, with sortKeys and with slices.Sort.
func BenchmarkSortKeys(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 5))
	cities := []string{"Amsterdam", "Barcelona", "Copenhagen", "Edinburgh", "Melbourne", "Oslo", "Lima", "Santiago"}
	block := func(k string) string {
		blk := make([]byte, len(k), 256)
		copy(blk, k)
		return string(blk[:len(k)])
	}
	shapes := []struct {
		name string
		key  func(i int) string
	}{
		{"email", func(i int) string {
			return "\x05user" + strconv.Itoa(i) + "@example.com\x00\x01\x04\xc1\x08\x6a\x00\x01\x07"
		}},
		{"score", func(i int) string {
			return "\x03" + string(rune(0x41+rng.IntN(30))) + strconv.Itoa(rng.IntN(1<<30)) + "\x04\x01"
		}},
		{"cityage", func(i int) string {
			return "\x05" + cities[rng.IntN(len(cities))] + "\x00\x01\xfb?" + string(rune(0x40+rng.IntN(60))) + "\xff\xfe\x04\xc1\x08" + strconv.Itoa(i)
		}},
	}
	for _, shape := range shapes {
		src := make([]string, 1000)
		base := rng.IntN(1 << 20)
		for i := range src {
			src[i] = block(shape.key(base + i))
		}
		rng.Shuffle(len(src), func(i, j int) { src[i], src[j] = src[j], src[i] })
		keys := make([]string, len(src))
		for _, sorter := range []struct {
			name string
			sort func([]string)
		}{{"sortKeys", sortKeys}, {"slices.Sort", slices.Sort[[]string]}} {
			b.Run(shape.name+"/"+sorter.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					copy(keys, src)
					sorter.sort(keys)
				}
			})
		}
	}
}
