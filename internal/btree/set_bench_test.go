package btree

import (
	"fmt"
	"math/rand/v2"
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
				benchSetVal = flushRecents(benchSetVal) // as PutSorted leaves it
				e = NewEdit()
			}
			benchSetVal = benchSetVal.Put(e, strings.Clone(bench.key(i)))
		}
		benchSetVal = flushRecents(benchSetVal)
		runtime.GC()
	}
	return benchSetVal
}

// flushRecents returns s with every part's recent writes moved into its
// delta.
func flushRecents(s Set) Set {
	if s.list == nil {
		return s
	}
	l := s.list.clone(nil)
	for i, p := range l.parts {
		f := p.flushed(nil)
		l.parts[i] = &f
	}
	s.list = l
	return s
}

// BenchmarkSetGet looks keys up in the set as a load leaves it: keys it
// holds, keys it lacks, held keys once the deltas are merged into the runs
// (as the idle defragmentation leaves it), and held keys after 20,000
// single writes, which leave recent writes beside the deltas (recent.go).
func BenchmarkSetGet(b *testing.B) {
	s := benchSet(b)
	written := s
	for i := range 20_000 {
		written = written.Put(NewEdit(), strings.Clone(bench.absentKey(i)))
	}
	for _, c := range []struct {
		name string
		s    Set
		key  func(int) string
	}{
		{"present", s, bench.key},
		{"absent", s, bench.absentKey},
		{"compacted", s.Compact(), bench.key},
		{"written", written, bench.key},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				_, ok := c.s.GetKey(c.key(i))
				sinkBool = ok
			}
		})
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

// BenchmarkPartMerge merges a delta of 4,096 random keys into a run of
// 65,536 (a part of a large set at its merge threshold), per merge.
func BenchmarkPartMerge(b *testing.B) {
	benchKeys()
	var sb SetBuilder
	keys := make([]string, 65536)
	for i := range keys {
		keys[i] = strings.Clone(bench.key(i))
	}
	slices.Sort(keys)
	for _, k := range keys {
		sb.Add(k)
	}
	p := *sb.Set().list.parts[0]
	e := NewEdit()
	for i := range 4096 {
		p = p.Put(e, strings.Clone(bench.absentKey(i)))
	}
	b.ReportAllocs()
	for b.Loop() {
		sinkPart = p.merge()
	}
}

var sinkPart part

// tiedKey returns the key of id in a set shaped like an index of (city,
// age, id): the keys of one city tie on their words past a run's prefix
// (a tag, the city, then a number's bytes that few values share), and
// each key sits in an allocation of its own, as index keys sit in their
// records' blocks.
func tiedKey(id int) string {
	cities := [...]string{"Amsterdam", "Barcelona", "Copenhagen", "Edinburgh", "Melbourne", "Montreal", "Santiago", "Stockholm"}
	k := fmt.Sprintf("\x05%s\x00\x01%c%c\x04%08x", cities[id*7919%len(cities)], 0x80+id%73, 0x40+id%7, id)
	blk := make([]byte, len(k), 256)
	copy(blk, k)
	return string(blk[:len(k)])
}

// tiedSet returns a set of the tied keys of ids, built by a SetBuilder.
func tiedSet(ids []int) (Set, []string) {
	held := make([]string, len(ids))
	for i, id := range ids {
		held[i] = tiedKey(id)
	}
	slices.Sort(held)
	var sb SetBuilder
	for _, k := range held {
		sb.Add(k)
	}
	return sb.Set(), held
}

// BenchmarkSetTied: point reads and single writes in a set of 1,000,000
// tied keys (tiedKey): get looks up held keys; put adds one absent key to
// the built set each time (its run's search, then a delta of one key), as
// a single insert's index write does before its delta grows.
func BenchmarkSetTied(b *testing.B) {
	const n = 1_000_000
	ids := rand.New(rand.NewPCG(5, 5)).Perm(2 * n)
	s, held := tiedSet(ids[:n])
	absent := make([]string, 100_000)
	for i := range absent {
		absent[i] = tiedKey(ids[n+i])
	}
	rng := rand.New(rand.NewPCG(6, 6))
	probes := make([]string, 100_000)
	for i := range probes {
		probes[i] = held[rng.IntN(n)]
	}
	runtime.GC()
	b.Run("get", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_, ok := s.GetKey(probes[i%len(probes)])
			sinkBool = ok
		}
	})
	b.Run("put", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			sinkSet = s.Put(nil, absent[i%len(absent)])
		}
	})
}

var sinkSet Set

// BenchmarkSetPutSortedTied: a bulk load's batches of 1,000 into a set of
// 200,000 tied keys (tiedKey): placing a key compares key bytes.
func BenchmarkSetPutSortedTied(b *testing.B) {
	const n, batch = 200_000, 1000
	ids := rand.New(rand.NewPCG(3, 3)).Perm(2 * n)
	s, _ := tiedSet(ids[:n])
	batches := make([][]string, n/batch)
	for i := range batches {
		keys := make([]string, batch)
		for j := range keys {
			keys[j] = tiedKey(ids[n+i*batch+j])
		}
		slices.Sort(keys)
		batches[i] = keys
	}
	runtime.GC()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.PutSorted(NewEdit(), batches[i%len(batches)])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/key")
}
