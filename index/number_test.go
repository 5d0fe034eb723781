package index

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// fixedNumber is the fixed-width number encoding used before the current
// one (tag, the 8 order-preserving bytes of the double, a 2-byte residual):
// simple enough to trust, so the current encoding must order every pair of
// numbers exactly as it does. Both write the same bits (orderedBits).
func fixedNumber(n Number) string {
	bits, residual := orderedBits(n)
	b := append([]byte{tagNumber}, binary.BigEndian.AppendUint64(nil, bits)...)
	return string(binary.BigEndian.AppendUint16(b, uint16(int16(residual))^0x8000))
}

// numberSamples returns numbers around the places where encodings change
// shape: zero, small integers, the ends of exact doubles (2^53) and of
// int64 (residuals), fractions, infinities, random bits.
func numberSamples(r *rand.Rand) []Number {
	var out []Number
	ints := []int64{0, 1, -1, 2, 7, 33, 100, 255, 256, 65535, 65536, 123456, 200000, 1 << 20, 1 << 21,
		1<<53 - 1, 1 << 53, 1<<53 + 1, 1<<53 + 2, 1<<62 + 1, math.MaxInt64, math.MaxInt64 - 1, math.MaxInt64 - 511,
		math.MinInt64, math.MinInt64 + 1, -(1 << 53) - 1}
	for _, i := range ints {
		for _, d := range []int64{0, 1, -1, 3, 512} {
			v := i + d
			if (d > 0 && v < i) || (d < 0 && v > i) {
				continue // wrapped
			}
			out = append(out, Number{IsInt: true, Int: v}, Number{IsInt: true, Int: -v})
		}
	}
	for _, f := range []float64{0.5, -0.5, 0.125, 1.5, 919023.757, -919023.757, 1e-300, -1e-300, 1e300, -1e300,
		math.Inf(1), math.Inf(-1), 9223372036854775808, -9223372036854775808 * 2, math.SmallestNonzeroFloat64, 1e19} {
		out = append(out, Number{Float: f})
	}
	for range 300 {
		out = append(out, Number{IsInt: true, Int: int64(r.Uint64())}, Number{IsInt: true, Int: r.Int64N(1 << 30)})
		f := math.Float64frombits(r.Uint64())
		if !math.IsNaN(f) && f != math.Trunc(f) {
			out = append(out, Number{Float: f})
		}
		out = append(out, Number{Float: float64(r.IntN(1e6)) / 1000})
	}
	return out
}

// TestNumberEncodingOrder checks the variable-width number encoding
// against the fixed-width one on every pair of samples: the same order,
// equal encodings only for equal numbers, no encoding a prefix of another,
// and concatenated encodings (compound keys) ordered by their first
// differing component.
func TestNumberEncodingOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ns := numberSamples(r)
	enc := make([]string, len(ns))
	fixed := make([]string, len(ns))
	for i, n := range ns {
		enc[i] = string(AppendNumber(nil, n))
		fixed[i] = fixedNumber(n)
	}
	for i := range ns {
		for j := range ns {
			want := strings.Compare(fixed[i], fixed[j])
			if got := strings.Compare(enc[i], enc[j]); got != want {
				t.Fatalf("%+v vs %+v: compare %d, fixed form %d\n  %x\n  %x", ns[i], ns[j], got, want, enc[i], enc[j])
			}
			if want != 0 && strings.HasPrefix(enc[j], enc[i]) {
				t.Fatalf("%x (%+v) is a prefix of %x (%+v)", enc[i], ns[i], enc[j], ns[j])
			}
			// Compound keys: a component after the number does not
			// change the order of different numbers.
			k := (i + j) % len(ns)
			if want != 0 {
				if got := strings.Compare(enc[i]+enc[k], enc[j]+enc[(k+1)%len(ns)]); got != want {
					t.Fatalf("compound keys of %+v and %+v: compare %d, want %d", ns[i], ns[j], got, want)
				}
			}
		}
	}
}

// TestNumberEncodingSize pins the sizes that matter for memory: small
// integers (ids, ages) and typical fractions.
func TestNumberEncodingSize(t *testing.T) {
	for _, c := range []struct {
		n    Number
		size int
	}{
		{Number{IsInt: true}, 4},
		{Number{IsInt: true, Int: 1}, 5},
		{Number{IsInt: true, Int: 33}, 6},
		{Number{IsInt: true, Int: 123456}, 6},
		{Number{IsInt: true, Int: 2000000}, 7},
		{Number{Float: 0.5}, 5},
		{Number{IsInt: true, Int: 1<<53 + 1}, 7},
		{Number{Float: 919023.757}, 11},
	} {
		if got := len(AppendNumber(nil, c.n)); got != c.size {
			t.Errorf("%+v: %d bytes (%x), want %d", c.n, got, AppendNumber(nil, c.n), c.size)
		}
	}
}
