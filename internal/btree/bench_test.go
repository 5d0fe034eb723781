package btree

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/benbjohnson/immutable"
)

// The benchmarks run on 1,000,000 random 16-byte keys, generated once per
// process outside the timers. The structures under test hold keys allocated
// one by one, as the database's are; the benchmarks' own inputs are cut from
// two long strings, so that the collector does not trace millions of
// pointers that belong to the harness rather than to the tree. Only one of
// the two 1M-key structures (our tree, immutable's SortedMap) is alive at a
// time, so that neither pays for the other in garbage collection.
const (
	benchN   = 1_000_000
	benchLen = 16 // bytes per key
)

type benchData struct {
	present string // benchN keys, the tree's, in random order
	absent  string // benchN keys not in the tree, in random order
	tree    Tree[struct{}]
	sm      *immutable.SortedMap[string, struct{}]
}

// key returns the i-th key in the tree (modulo benchN).
func (d *benchData) key(i int) string {
	i = i % benchN * benchLen
	return d.present[i : i+benchLen]
}

// absentKey returns the i-th key not in the tree (modulo benchN).
func (d *benchData) absentKey(i int) string {
	i = i % benchN * benchLen
	return d.absent[i : i+benchLen]
}

var bench benchData

func randomKey(rng *rand.Rand) string {
	return fmt.Sprintf("%016x", rng.Uint64())
}

func benchKeys() {
	if bench.present != "" {
		return
	}
	rng := rand.New(rand.NewPCG(42, 42))
	seen := make(map[string]bool, 2*benchN)
	var present, absent strings.Builder
	for _, sb := range []*strings.Builder{&present, &absent} {
		for sb.Len() < benchN*benchLen {
			if k := randomKey(rng); !seen[k] {
				seen[k] = true
				sb.WriteString(k)
			}
		}
	}
	bench.present, bench.absent = present.String(), absent.String()
}

// benchTree returns the keys and a tree holding the present ones.
func benchTree(b *testing.B) *benchData {
	b.Helper()
	benchKeys()
	if bench.tree.Len() == 0 {
		bench.sm = nil
		// Insert in random order, so that nodes are filled as in steady
		// use (a Builder packs them full, and then every insert splits).
		e := NewEdit()
		for i := range benchN {
			bench.tree = bench.tree.Set(e, strings.Clone(bench.key(i)), struct{}{})
		}
		runtime.GC()
	}
	return &bench
}

// benchSortedMap returns the keys and a SortedMap holding the present ones.
func benchSortedMap(b *testing.B) *benchData {
	b.Helper()
	benchKeys()
	if bench.sm == nil {
		bench.tree = Tree[struct{}]{}
		smb := immutable.NewSortedMapBuilder[string, struct{}](stringComparer{})
		for i := range benchN {
			smb.Set(strings.Clone(bench.key(i)), struct{}{})
		}
		bench.sm = smb.Map()
		runtime.GC()
	}
	return &bench
}

type stringComparer struct{}

func (stringComparer) Compare(a, b string) int { return strings.Compare(a, b) }

var sinkTree Tree[struct{}]
var sinkBool bool

func BenchmarkGet(b *testing.B) {
	d := benchTree(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu, i := startCPU(), 0
	defer func() { cpu.report(b, i, "op") }()
	for ; b.Loop(); i++ {
		_, ok := d.tree.Get(d.key(i))
		sinkBool = ok
	}
}

func BenchmarkSetPersistent(b *testing.B) {
	d := benchTree(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu, i := startCPU(), 0
	defer func() { cpu.report(b, i, "op") }()
	for ; b.Loop(); i++ {
		sinkTree = d.tree.Set(nil, d.absentKey(i), struct{}{})
	}
}

// BenchmarkSetTransientBatch64 times batches of 64 inserts, each batch with a
// new Edit, applied to the 1M-key tree; ns/key is the cost of one insert.
func BenchmarkSetTransientBatch64(b *testing.B) { benchTransientBatch(b, 64) }

// BenchmarkSetTransientBatch4096 is the same with batches of 4,096 inserts,
// where more of the upper nodes are already owned when an insert reaches
// them.
func BenchmarkSetTransientBatch4096(b *testing.B) { benchTransientBatch(b, 4096) }

func benchTransientBatch(b *testing.B, batch int) {
	d := benchTree(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu, j := startCPU(), 0
	for b.Loop() {
		e := NewEdit()
		t := d.tree
		for range batch {
			t = t.Set(e, d.absentKey(j), struct{}{})
			j++
		}
		sinkTree = t
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(j), "ns/key")
	cpu.report(b, j, "key")
}

func BenchmarkDeletePersistent(b *testing.B) {
	d := benchTree(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu, i := startCPU(), 0
	defer func() { cpu.report(b, i, "op") }()
	for ; b.Loop(); i++ {
		sinkTree, sinkBool = d.tree.Delete(nil, d.key(i))
	}
}

func BenchmarkAscend100(b *testing.B) {
	d := benchTree(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu, i := startCPU(), 0
	defer func() { cpu.report(b, i, "op") }()
	for ; b.Loop(); i++ {
		n := 0
		d.tree.Ascend(d.absentKey(i), func(string, struct{}) bool {
			n++
			return n < 100
		})
	}
}

func BenchmarkDescend100(b *testing.B) {
	d := benchTree(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu, i := startCPU(), 0
	defer func() { cpu.report(b, i, "op") }()
	for ; b.Loop(); i++ {
		n := 0
		d.tree.Descend(d.absentKey(i), func(string, struct{}) bool {
			n++
			return n < 100
		})
	}
}

// BenchmarkBuilder reports the cost of one Add (and its share of Tree).
func BenchmarkBuilder(b *testing.B) {
	d := benchTree(b)
	sorted := make([]string, benchN)
	for i := range sorted {
		sorted[i] = strings.Clone(d.key(i))
	}
	slices.Sort(sorted)
	b.ReportAllocs()
	b.ResetTimer()
	var bl Builder[struct{}]
	cpu, i := startCPU(), 0
	defer func() { cpu.report(b, i, "op") }()
	for ; b.Loop(); i++ {
		if i%benchN == 0 && i > 0 {
			sinkTree = bl.Tree()
			bl = Builder[struct{}]{}
		}
		if err := bl.Add(sorted[i%benchN], struct{}{}); err != nil {
			b.Fatal(err)
		}
	}
	sinkTree = bl.Tree()
}

var sinkSM *immutable.SortedMap[string, struct{}]

func BenchmarkImmutableSortedMapGet(b *testing.B) {
	d := benchSortedMap(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu, i := startCPU(), 0
	defer func() { cpu.report(b, i, "op") }()
	for ; b.Loop(); i++ {
		_, ok := d.sm.Get(d.key(i))
		sinkBool = ok
	}
}

func BenchmarkImmutableSortedMapSet(b *testing.B) {
	d := benchSortedMap(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu, i := startCPU(), 0
	defer func() { cpu.report(b, i, "op") }()
	for ; b.Loop(); i++ {
		sinkSM = d.sm.Set(d.absentKey(i), struct{}{})
	}
}

func BenchmarkImmutableSortedMapDelete(b *testing.B) {
	d := benchSortedMap(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu, i := startCPU(), 0
	defer func() { cpu.report(b, i, "op") }()
	for ; b.Loop(); i++ {
		sinkSM = d.sm.Delete(d.key(i))
	}
}

// BenchmarkGetSmall looks keys up in a 4,096-key tree that fits in cache: it
// measures the search code rather than memory latency.
func BenchmarkGetSmall(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	keys := make([]string, 4096)
	var t Tree[struct{}]
	for i := range keys {
		keys[i] = randomKey(rng)
		t = t.Set(nil, keys[i], struct{}{})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		_, ok := t.Get(keys[i%len(keys)])
		sinkBool = ok
	}
}
