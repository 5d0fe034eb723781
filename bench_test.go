package fleetdb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/query"
)

// The benchmarks of the core engine (issue: speed and memory). They share a
// database of benchN records of ~120 bytes of JSON, with two single
// attribute indexes (email, score) and one compound index (city, age).
//
//	go test -run '^$' -bench . -benchtime 2s -count 5 .
const benchN = 1_000_000

var (
	benchOnce sync.Once
	benchDB   *DB
	benchRaw  int // bytes of JSON inserted
	benchHeap uint64
	// HeapInuse after GC (what the process holds, holes in spans included)
	// and the process's resident set after the load.
	benchHeapInuse uint64
	benchRSS       uint64
	// The same after the setup's defragmentation (defrag.go), which the
	// read benchmarks then run on, as a database does one idle second
	// after a load.
	benchHeapDefrag, benchHeapInuseDefrag uint64
)

func benchRecord(i int) string { return string(appendBenchRecord(nil, i)) }

// appendBenchRecord appends benchRecord(i) to dst without allocating, so
// that the write benchmarks count the database's allocations and time,
// not the making of their requests (fmt.Sprintf: 5 of the 38 allocations
// BenchmarkInsertSingle reported until the twelfth round).
func appendBenchRecord(dst []byte, i int) []byte {
	// ~120 bytes; score is a permutation of 0..benchN-1 (unique), age 0..99.
	score := (i * 7919) % benchN
	dst = append(dst, `{"id":`...)
	dst = strconv.AppendInt(dst, int64(i), 10)
	dst = append(dst, `,"name":"user-`...)
	dst = appendPadded(dst, i, 7)
	dst = append(dst, `","email":"user`...)
	dst = appendPadded(dst, i, 7)
	dst = append(dst, `@example.com","city":"city-`...)
	dst = appendPadded(dst, i%50, 2)
	dst = append(dst, `","age":`...)
	dst = strconv.AppendInt(dst, int64((i/50)%100), 10)
	dst = append(dst, `,"score":`...)
	dst = strconv.AppendInt(dst, int64(score), 10)
	return append(dst, `,"active":true}`...)
}

// appendPadded appends v (not negative) in decimal, with leading zeros to
// at least width digits, as fmt's %0*d does.
func appendPadded(dst []byte, v, width int) []byte {
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], int64(v), 10)
	for n := len(d); n < width; n++ {
		dst = append(dst, '0')
	}
	return append(dst, d...)
}

func benchSetup(b testing.TB) *DB {
	b.Helper()
	benchOnce.Do(func() {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		// Defragmented by the setup below, at a known moment, not by
		// the idle timer in the middle of a benchmark.
		db, err := Open(Options{DefragIdle: -1})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		for _, spec := range []string{`"email"`, `"score"`, `["city","age"]`} {
			mustQuery(b, db, `["create-index","users",`+spec+`]`)
		}
		buf := make([]byte, 0, 1<<20)
		for i := 0; i < benchN; i += 1000 {
			buf = append(buf[:0], `["insert","users",[`...)
			for j := i; j < i+1000 && j < benchN; j++ {
				if j > i {
					buf = append(buf, ',')
				}
				r := benchRecord(j)
				benchRaw += len(r)
				buf = append(buf, r...)
			}
			buf = append(buf, "]]"...)
			if _, err := db.Query(ctx, buf); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		benchHeap = after.HeapAlloc - before.HeapAlloc
		benchHeapInuse = after.HeapInuse - before.HeapInuse
		benchRSS = processRSS()
		if ok, err := db.defragNow(); err != nil || !ok {
			b.Fatal("defragmentation not installed", err)
		}
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&after)
		benchHeapDefrag = after.HeapAlloc - before.HeapAlloc
		benchHeapInuseDefrag = after.HeapInuse - before.HeapInuse
		benchDB = db
	})
	return benchDB
}

func mustQuery(tb testing.TB, db *DB, q string) []byte {
	tb.Helper()
	out, err := db.Query(context.Background(), []byte(q))
	if err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return out
}

// benchRead runs a read query built by mk through the whole JSON path
// (parse, plan, execute) and, in a sub-benchmark, with the parse done once.
func benchRead(b *testing.B, mk func(r *rand.Rand) string, want int) {
	db := benchSetup(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	qs := make([][]byte, 1024)
	parsed := make([]query.Query, len(qs))
	for i := range qs {
		qs[i] = []byte(mk(r))
		q, err := query.Parse(qs[i])
		if err != nil {
			b.Fatal(err)
		}
		parsed[i] = q
	}
	if want >= 0 {
		out := mustQuery(b, db, `["count"`+string(qs[0][len(`["select"`):]))
		if n, _ := strconv.Atoi(string(out)); n != want {
			b.Fatalf("%s: %d results, want %d", qs[0], n, want)
		}
	}
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := db.Query(ctx, qs[i%len(qs)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parsed", func(b *testing.B) {
		b.ReportAllocs()
		var dst []byte
		for i := 0; b.Loop(); i++ {
			var err error
			if dst, err = query.Execute(dst[:0], db.cur.Load(), parsed[i%len(parsed)], &db.env); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGetByID(b *testing.B) {
	benchRead(b, func(r *rand.Rand) string {
		return fmt.Sprintf(`["select","users",{"where":["=","id",%d]}]`, r.IntN(benchN))
	}, 1)
	// The same ids (the generator restarts from the same seed) read through
	// the typed API and, as the floor, with one Get on the record map's
	// tree: the point path's target is a small multiple of it.
	db := benchSetup(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	ids := make([]int, 1024)
	keys := make([]string, len(ids))
	for i := range ids {
		ids[i] = r.IntN(benchN)
		enc, _ := query.AppendID(nil, ids[i])
		keys[i] = string(enc)
	}
	b.Run("typed", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if rec, err := db.Get(ctx, "users", ids[i%len(ids)]); err != nil || rec == nil {
				b.Fatal(rec, err)
			}
		}
	})
	b.Run("btree", func(b *testing.B) {
		b.ReportAllocs()
		c := db.cur.Load().Collection("users")
		for i := 0; b.Loop(); i++ {
			if _, ok := c.Get(keys[i%len(keys)]); !ok {
				b.Fatal("missing")
			}
		}
	})
}

func BenchmarkIndexLookup1(b *testing.B) {
	benchRead(b, func(r *rand.Rand) string {
		return fmt.Sprintf(`["select","users",{"where":["=","email","user%07d@example.com"]}]`, r.IntN(benchN))
	}, 1)
}

// BenchmarkIndexEqLimit20 reads 20 of the 20,000 records of one city (the
// in-process comparison's "city = X limit 20"): the text point path.
func BenchmarkIndexEqLimit20(b *testing.B) {
	benchRead(b, func(r *rand.Rand) string {
		return fmt.Sprintf(`["select","users",{"where":["=","city","city-%02d"],"limit":20}]`, r.IntN(50))
	}, -1)
}

func BenchmarkIndexRange100(b *testing.B) {
	benchRead(b, func(r *rand.Rand) string {
		lo := r.IntN(benchN - 100)
		return fmt.Sprintf(`["select","users",{"where":[">=<","score",[%d,%d]]}]`, lo, lo+100)
	}, 100)
}

func BenchmarkOrderedLimit10(b *testing.B) {
	benchRead(b, func(r *rand.Rand) string {
		return fmt.Sprintf(`["select","users",{"where":["=","city","city-%02d"],"order":["age","desc"],"limit":10}]`, r.IntN(50))
	}, -1)
}

// BenchmarkScanFilter is a full scan with a filter on an attribute that no
// index covers; it reports records scanned per second.
func BenchmarkScanFilter(b *testing.B) {
	db := benchSetup(b)
	q := []byte(`["count","users",{"where":["=","name","user-0000042"]}]`)
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		out := mustQuery(b, db, string(q))
		if string(out) != "1" {
			b.Fatalf("count = %s", out)
		}
	}
	b.ReportMetric(float64(b.N)*benchN/time.Since(start).Seconds(), "records/s")
}

// BenchmarkMemory reports the heap held by the benchmark database per record
// and as a multiple of the raw JSON size.
func BenchmarkMemory(b *testing.B) {
	benchSetup(b)
	for b.Loop() {
	}
	b.ReportMetric(float64(benchHeap)/benchN, "heap-bytes/record")
	b.ReportMetric(float64(benchRaw)/benchN, "json-bytes/record")
	b.ReportMetric(float64(benchHeap)/float64(benchRaw), "x-raw")
	b.ReportMetric(float64(benchHeapInuse)/benchN, "heapinuse-bytes/record")
	b.ReportMetric(float64(benchHeapInuse)/float64(benchRaw), "heapinuse-x-raw")
	b.ReportMetric(float64(benchRSS)/benchN, "rss-bytes/record")
	b.ReportMetric(float64(benchHeapDefrag)/benchN, "defrag-heap-bytes/record")
	b.ReportMetric(float64(benchHeapInuseDefrag)/benchN, "defrag-heapinuse-bytes/record")
}

// processRSS returns the resident set size of the process (VmRSS of
// /proc/self/status), or 0 where there is no /proc.
func processRSS() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkInsertSingle inserts one record per write (three indexes).
func BenchmarkInsertSingle(b *testing.B) {
	db := benchSetup(b)
	ctx := context.Background()
	base := 10_000_000 + benchInsertBase()
	b.ReportAllocs()
	var q []byte
	for i := 0; b.Loop(); i++ {
		q = append(q[:0], `["insert","users",`...)
		q = append(appendBenchRecord(q, base+i), ']')
		if _, err := db.Query(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInsertBatch64 applies 64 single-record inserts in one transaction
// before one publish, as the write queue's writer does (each write a step
// of its own, the steps published to the change-feed history); ns/op is
// per write.
func BenchmarkInsertBatch64(b *testing.B) {
	db := benchSetup(b)
	base := 20_000_000 + benchInsertBase()
	qs := make([]query.Query, 64)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%64 == 0 {
			b.StopTimer()
			for j := range qs {
				q, err := query.ParseString(`["insert","users",` + benchRecord(base+i+j) + `]`)
				if err != nil {
					b.Fatal(err)
				}
				qs[j] = q
			}
			b.StartTimer()
		}
		// One write of the batch per iteration; the batch commits at its end.
		if i%64 == 0 {
			benchTxn = db.cur.Load().BeginSteps()
		}
		if _, err := query.Apply(nil, benchTxn, qs[i%64], &db.env); err != nil {
			b.Fatal(err)
		}
		benchTxn.Step(benchTxn.Seq() + 1)
		if i%64 == 63 {
			benchPublish(db)
		}
		i++
	}
	if i%64 != 0 {
		benchPublish(db)
	}
}

var benchTxn *dbvalue.Txn

// benchPublish commits benchTxn and publishes it as the writer does.
func benchPublish(db *DB) {
	v := benchTxn.Commit()
	db.cur.Store(v)
	db.hub.publish(benchTxn.TakeSteps(), v)
}

// BenchmarkBulkInsert inserts records in batches of 1,000 into a fresh
// collection with the three indexes; it reports records/s.
func BenchmarkBulkInsert(b *testing.B) {
	db, _ := Open(Options{})
	ctx := context.Background()
	for _, spec := range []string{`"email"`, `"score"`, `["city","age"]`} {
		mustQuery(b, db, `["create-index","bulk",`+spec+`]`)
	}
	var buf []byte
	n := 0
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		buf = append(buf[:0], `["insert","bulk",[`...)
		for j := 0; j < 1000; j++ {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = appendBenchRecord(buf, n)
			n++
		}
		buf = append(buf, "]]"...)
		if _, err := db.Query(ctx, buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "records/s")
}

var benchInsertCounter int

func benchInsertBase() int {
	benchInsertCounter += 1_000_000
	return benchInsertCounter
}

// BenchmarkPointReadRatios reads random ids four ways, in interleaved
// blocks of 256 (each block its own ids, so that no way reads what another
// just brought into the cache; the ways take turns at going first) so that
// the machine's noise hits all alike, and reports each way's ns per read and its ratio to the floor, one Get on the
// record map's tree (btree.Get): the parsed query (query.Execute), the whole
// JSON path (db.Query) and the typed db.Get. ns/op is per round of the four
// blocks.
func BenchmarkPointReadRatios(b *testing.B) {
	db := benchSetup(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	const n = 1 << 16
	ids := make([]int, n)
	anyIDs := make([]any, n) // boxed once: the caller's conversion is not the read's cost
	keys := make([]string, n)
	reqs := make([][]byte, n)
	parsed := make([]query.Query, n)
	for i := range ids {
		ids[i] = r.IntN(benchN)
		anyIDs[i] = ids[i]
		enc, _ := query.AppendID(nil, ids[i])
		keys[i] = string(enc)
		reqs[i] = fmt.Appendf(nil, `["select","users",{"where":["=","id",%d]}]`, ids[i])
		q, err := query.Parse(reqs[i])
		if err != nil {
			b.Fatal(err)
		}
		parsed[i] = q
	}
	c := db.cur.Load().Collection("users")
	var dst []byte
	ways := []struct {
		name string
		read func(i int) bool
	}{
		{"btree", func(i int) bool { _, ok := c.Get(keys[i]); return ok }},
		{"parsed", func(i int) bool {
			var err error
			dst, err = query.Execute(dst[:0], db.cur.Load(), parsed[i], &db.env)
			return err == nil && len(dst) > 2
		}},
		{"json", func(i int) bool { out, err := db.Query(ctx, reqs[i]); return err == nil && len(out) > 2 }},
		{"typed", func(i int) bool { rec, err := db.Get(ctx, "users", anyIDs[i]); return err == nil && rec != nil }},
	}
	const block = 256
	spent := make([]time.Duration, len(ways))
	reads := 0
	next := 0
	for round := 0; b.Loop(); round++ {
		for t := range ways {
			w := (round + t) % len(ways)
			t0 := time.Now()
			for j := next; j < next+block; j++ {
				if !ways[w].read(j % n) {
					b.Fatalf("%s: id %d not found", ways[w].name, ids[j%n])
				}
			}
			spent[w] += time.Since(t0)
			next += block
		}
		reads += block
	}
	for w, way := range ways {
		b.ReportMetric(float64(spent[w].Nanoseconds())/float64(reads), way.name+"-ns/read")
		if w > 0 {
			b.ReportMetric(float64(spent[w])/float64(spent[0]), way.name+"/btree")
		}
	}
}
