package bench

import (
	"math/bits"
	"time"
)

// histogram records durations with a relative error under 1% over any
// range, in the manner of HdrHistogram: values below 128 ns are counted
// exactly, and every power of two above is split into 64 equal buckets. It
// costs 32 KiB and two instructions' worth of arithmetic per value; it is
// not safe for concurrent use (each bench connection has its own, merged
// at the end).
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	sum    time.Duration
	max    time.Duration
}

const (
	histSubBits = 7 // 2^7 = 128 exact values, then 64 buckets per power of two
	histHalf    = 1 << (histSubBits - 1)
	histBuckets = 64 * histHalf // covers up to 2^63 ns
)

// histIndex returns the bucket of v (nanoseconds, non-negative).
func histIndex(v uint64) int {
	if v < 2*histHalf {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits // v>>shift is in [64, 128)
	return shift*histHalf + int(v>>shift)
}

// histValue returns the midpoint of bucket i's range.
func histValue(i int) uint64 {
	if i < 2*histHalf {
		return uint64(i)
	}
	shift := i/histHalf - 1
	low := uint64(i%histHalf+histHalf) << shift
	return low + (uint64(1)<<shift)/2
}

// record adds one duration.
func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[histIndex(uint64(d))]++
	h.n++
	h.sum += d
	h.max = max(h.max, d)
}

// merge adds o's values to h.
func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// quantile returns the value at quantile q (0..1): the smallest recorded
// value v such that at least q of all values are ≤ v, within the bucket
// resolution. It returns 0 for an empty histogram.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(histValue(i)), h.max)
		}
	}
	return h.max
}

// mean returns the average value.
func (h *histogram) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}
