package btree

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/benbjohnson/immutable"
)

// The benchmarks run on 1,000,000 random 16-byte keys, built once per
// process outside the timers.
const benchN = 1_000_000

type benchData struct {
	keys   []string // in the tree, random order
	absent []string // not in the tree, random order
	tree   Tree[struct{}]
	sm     *immutable.SortedMap[string, struct{}]
}

var (
	benchOnce sync.Once
	bench     benchData
)

func randomKey(rng *rand.Rand) string {
	return fmt.Sprintf("%016x", rng.Uint64())
}

func benchSetup(b *testing.B) *benchData {
	b.Helper()
	benchOnce.Do(func() {
		rng := rand.New(rand.NewPCG(42, 42))
		seen := make(map[string]bool, 2*benchN)
		fresh := func() string {
			for {
				if k := randomKey(rng); !seen[k] {
					seen[k] = true
					return k
				}
			}
		}
		for range benchN {
			bench.keys = append(bench.keys, fresh())
		}
		for range benchN {
			bench.absent = append(bench.absent, fresh())
		}
		// Insert in random order, so that nodes are filled as in steady
		// use (a Builder packs them full, and then every insert splits).
		e := NewEdit()
		smb := immutable.NewSortedMapBuilder[string, struct{}](stringComparer{})
		for _, k := range bench.keys {
			bench.tree = bench.tree.Set(e, k, struct{}{})
			smb.Set(k, struct{}{})
		}
		bench.sm = smb.Map()
	})
	return &bench
}

type stringComparer struct{}

func (stringComparer) Compare(a, b string) int { return strings.Compare(a, b) }

var sinkTree Tree[struct{}]
var sinkBool bool

func BenchmarkGet(b *testing.B) {
	d := benchSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu, i := startCPU(), 0
	defer func() { cpu.report(b, i, "op") }()
	for ; b.Loop(); i++ {
		_, ok := d.tree.Get(d.keys[i%benchN])
		sinkBool = ok
	}
}

func BenchmarkSetPersistent(b *testing.B) {
	d := benchSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu, i := startCPU(), 0
	defer func() { cpu.report(b, i, "op") }()
	for ; b.Loop(); i++ {
		sinkTree = d.tree.Set(nil, d.absent[i%benchN], struct{}{})
	}
}

// BenchmarkSetTransientBatch64 times batches of 64 inserts, each batch with a
// new Edit, applied to the 1M-key tree; ns/key is the cost of one insert.
func BenchmarkSetTransientBatch64(b *testing.B) {
	const batch = 64
	d := benchSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu, j := startCPU(), 0
	for b.Loop() {
		e := NewEdit()
		t := d.tree
		for range batch {
			t = t.Set(e, d.absent[j%benchN], struct{}{})
			j++
		}
		sinkTree = t
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(j), "ns/key")
	cpu.report(b, j, "key")
}

func BenchmarkDeletePersistent(b *testing.B) {
	d := benchSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu, i := startCPU(), 0
	defer func() { cpu.report(b, i, "op") }()
	for ; b.Loop(); i++ {
		sinkTree, sinkBool = d.tree.Delete(nil, d.keys[i%benchN])
	}
}

func BenchmarkAscend100(b *testing.B) {
	d := benchSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu, i := startCPU(), 0
	defer func() { cpu.report(b, i, "op") }()
	for ; b.Loop(); i++ {
		n := 0
		d.tree.Ascend(d.absent[i%benchN], func(string, struct{}) bool {
			n++
			return n < 100
		})
	}
}

func BenchmarkDescend100(b *testing.B) {
	d := benchSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu, i := startCPU(), 0
	defer func() { cpu.report(b, i, "op") }()
	for ; b.Loop(); i++ {
		n := 0
		d.tree.Descend(d.absent[i%benchN], func(string, struct{}) bool {
			n++
			return n < 100
		})
	}
}

// BenchmarkBuilder reports the cost of one Add (and its share of Tree).
func BenchmarkBuilder(b *testing.B) {
	d := benchSetup(b)
	sorted := slices.Clone(d.keys)
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
	d := benchSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu, i := startCPU(), 0
	defer func() { cpu.report(b, i, "op") }()
	for ; b.Loop(); i++ {
		_, ok := d.sm.Get(d.keys[i%benchN])
		sinkBool = ok
	}
}

func BenchmarkImmutableSortedMapSet(b *testing.B) {
	d := benchSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu, i := startCPU(), 0
	defer func() { cpu.report(b, i, "op") }()
	for ; b.Loop(); i++ {
		sinkSM = d.sm.Set(d.absent[i%benchN], struct{}{})
	}
}

func BenchmarkImmutableSortedMapDelete(b *testing.B) {
	d := benchSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu, i := startCPU(), 0
	defer func() { cpu.report(b, i, "op") }()
	for ; b.Loop(); i++ {
		sinkSM = d.sm.Delete(d.keys[i%benchN])
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
