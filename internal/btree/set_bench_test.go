package btree

import (
	"runtime"
	"slices"
	"strings"
	"testing"
)

// benchSet returns a Set of the present keys, inserted in random order in
// batches of 1,000 (as a bulk load does), so that its delta is as a load
// leaves it.
var benchSetVal Set

func benchSet(b *testing.B) Set {
	b.Helper()
	benchKeys()
	if benchSetVal.Len() == 0 {
		var e *Edit
		for i := range benchN {
			if i%1000 == 0 {
				e = NewEdit()
			}
			benchSetVal = benchSetVal.Put(e, strings.Clone(bench.key(i)))
		}
		runtime.GC()
	}
	return benchSetVal
}

func BenchmarkSetGet(b *testing.B) {
	s := benchSet(b)
	b.ReportAllocs()
	b.ReportMetric(float64(s.delta.Len()), "delta-keys")
	for i := 0; b.Loop(); i++ {
		_, ok := s.GetKey(bench.key(i))
		sinkBool = ok
	}
}

func BenchmarkSetGetAbsent(b *testing.B) {
	s := benchSet(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_, ok := s.GetKey(bench.absentKey(i))
		sinkBool = ok
	}
}

func BenchmarkSetAscend100(b *testing.B) {
	s := benchSet(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		n := 0
		s.Ascend(bench.key(i), func(string) bool { n++; return n < 100 })
	}
}

// BenchmarkSetPutBatch1000: a bulk load's writes, sorted per batch as
// package collection gives them.
func BenchmarkSetPutBatch1000(b *testing.B) {
	s := benchSet(b)
	keys := make([]string, 1000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for j := range keys {
			keys[j] = bench.absentKey(i*1000 + j)
		}
		slices.Sort(keys)
		s.PutSorted(NewEdit(), keys)
	}
}

func BenchmarkSetGetCompact(b *testing.B) {
	s := benchSet(b).Compact()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_, ok := s.GetKey(bench.key(i))
		sinkBool = ok
	}
}

func BenchmarkSetDeltaGet(b *testing.B) {
	s := benchSet(b)
	b.Logf("delta %d keys", s.delta.Len())
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_, _, ok := s.delta.GetKey(bench.key(i))
		sinkBool = ok
	}
}
