package bench

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramBuckets(t *testing.T) {
	prev := -1
	for _, v := range []uint64{0, 1, 127, 128, 129, 255, 256, 1000, 1 << 20, 1<<40 + 12345, 1<<63 - 1} {
		i := histIndex(v)
		if i < prev {
			t.Errorf("index of %d (%d) below the previous", v, i)
		}
		prev = i
		if i >= histBuckets {
			t.Fatalf("index %d of %d out of range", i, v)
		}
		// The bucket's value is within 1% of v.
		got := histValue(i)
		if diff := float64(got) - float64(v); diff > 0.01*float64(v)+0.5 || -diff > 0.01*float64(v)+0.5 {
			t.Errorf("value of bucket %d = %d, want about %d", i, got, v)
		}
	}
	// Indexes are contiguous: every value maps into its own bucket's range.
	for v := uint64(1); v < 1<<16; v++ {
		if histIndex(v) < histIndex(v-1) {
			t.Fatalf("index decreases at %d", v)
		}
	}
}

// TestHistogramQuantiles compares with the exact quantiles of the samples.
func TestHistogramQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h, a, b histogram
	var xs []time.Duration
	for i := range 100000 {
		d := time.Duration(rng.ExpFloat64() * float64(200*time.Microsecond))
		xs = append(xs, d)
		h.record(d)
		if i%2 == 0 {
			a.record(d)
		} else {
			b.record(d)
		}
	}
	a.merge(&b)
	slices.Sort(xs)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		exact := xs[min(int(q*float64(len(xs))+0.5), len(xs))-1]
		for _, hh := range []*histogram{&h, &a} {
			got := hh.quantile(q)
			if diff := float64(got - exact); diff > 0.01*float64(exact) || -diff > 0.01*float64(exact) {
				t.Errorf("q%.3f = %v, exact %v", q, got, exact)
			}
		}
	}
	if h.max != xs[len(xs)-1] || a.max != h.max || a.n != h.n || a.sum != h.sum {
		t.Errorf("max/n/sum: %v %v %d %d", h.max, a.max, h.n, a.n)
	}
	var empty histogram
	if empty.quantile(0.5) != 0 || empty.mean() != 0 {
		t.Error("empty histogram")
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h histogram
	for i := 0; b.Loop(); i++ {
		h.record(time.Duration(i & 0xfffff))
	}
}
