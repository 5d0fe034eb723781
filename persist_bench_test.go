package fleetdb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Benchmarks of the durable mode (issue: durable standalone mode).
//
//	go test -run '^$' -bench 'Durable|Fsync|Replay|CompactionLatency' -count 5 .

// BenchmarkFsyncBaseline measures this machine's cost of appending 150
// bytes and fsyncing: the unit the durable insert numbers compare with.
func BenchmarkFsyncBaseline(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "f"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 150)
	for b.Loop() {
		f.Write(buf)
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
}

func benchDurable(b *testing.B, writers int) {
	db, err := Open(Options{Path: filepath.Join(b.TempDir(), "d.fdb")})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism((writers + 1) / 2) // GOMAXPROCS is 2
	fs0 := db.aof.Stats().Fsyncs
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := next.Add(1)
			q := fmt.Appendf(nil, `["insert","p",{"id":%d,"name":"user-%d","email":"u%d@example.com","age":%d}]`, id, id, id, id%90)
			if _, err := db.Query(ctx, q); err != nil {
				b.Error(err)
				return
			}
		}
	})
	el := time.Since(start)
	fsyncs := db.aof.Stats().Fsyncs - fs0
	b.ReportMetric(float64(b.N)/el.Seconds(), "writes/s")
	if fsyncs > 0 {
		b.ReportMetric(float64(b.N)/float64(fsyncs), "writes/fsync")
	}
}

// BenchmarkDurableInsert64 inserts from 64 concurrent writers with fsync
// always: group commit shares each fsync among the writers of a batch.
func BenchmarkDurableInsert64(b *testing.B) { benchDurable(b, 64) }

// BenchmarkDurableInsert1 inserts from one writer: one fsync per write,
// with the log preallocated (the default) and without.
func BenchmarkDurableInsert1(b *testing.B) {
	b.Run("prealloc", func(b *testing.B) { benchDurable1(b, 0) })
	b.Run("plain", func(b *testing.B) { benchDurable1(b, -1) })
}

func benchDurable1(b *testing.B, prealloc int64) {
	db, err := Open(Options{Path: filepath.Join(b.TempDir(), "d.fdb"), LogPreallocate: prealloc})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		q := fmt.Appendf(nil, `["insert","p",{"id":%d,"name":"user-%d","email":"u%d@example.com","age":%d}]`, i, i, i, i%90)
		if _, err := db.Query(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReplay opens a log holding 1,000,000 inserted records (written
// once, in batches of 64 single-record inserts) and reports records/s, with
// Options.ReplayGCPercent 400 as the server uses (0: default collector;
// FLEETDB_REPLAY_GC=0 measures it).
func BenchmarkReplay(b *testing.B) {
	replayGCPercent := 400
	if os.Getenv("FLEETDB_REPLAY_GC") == "0" {
		replayGCPercent = 0
	}
	path := filepath.Join(b.TempDir(), "r.fdb")
	const n = 1_000_000
	db, err := Open(Options{Path: path, Sync: SyncNever, MaxBatch: 64})
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += 64 {
				db.Query(context.Background(), []byte(benchRecordInsert(i)))
			}
		}(w)
	}
	wg.Wait()
	db.Close()
	b.ResetTimer()
	start := time.Now()
	cpu0 := processCPU()
	for b.Loop() {
		db, err := Open(Options{Path: path, ReplayGCPercent: replayGCPercent})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if c := db.value().Collection("users").Len(); c != n {
			b.Fatalf("replayed %d records", c)
		}
		db.Close()
		b.StartTimer()
	}
	wall := time.Since(start)
	cpu := processCPU() - cpu0 // includes the checks between opens, which are small
	b.ReportMetric(float64(n)*float64(b.N)/wall.Seconds(), "records/s")
	// CPU time per record does not depend on how many cores were free;
	// cpu/wall above 1 is the overlap of parsing and applying.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(n*b.N), "cpu-ns/record")
	b.ReportMetric(cpu.Seconds()/wall.Seconds(), "cpu/wall")
}

// processCPU returns the user and system CPU time of the process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchRecordInsert(i int) string { return `["insert","users",` + benchRecord(i) + `]` }

// BenchmarkCompactionLatency runs 8 writers (fsync always) against a
// database of 1,000,000 records and compacts while they run; it reports
// the writers' p99 latency before and during the compaction and the longest
// single write seen during it.
func BenchmarkCompactionLatency(b *testing.B) {
	path := filepath.Join(b.TempDir(), "c.fdb")
	const n = 1_000_000
	db, err := Open(Options{Path: path, Sync: SyncNever})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < n; i += 1000 {
		var q []byte
		q = append(q, `["insert","users",[`...)
		for j := i; j < i+1000; j++ {
			if j > i {
				q = append(q, ',')
			}
			q = append(q, benchRecord(j)...)
		}
		q = append(q, "]]"...)
		if _, err := db.Query(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	db.Close()
	db, err = Open(Options{Path: path})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for b.Loop() {
		measure := func(d time.Duration, during func()) []time.Duration {
			var mu sync.Mutex
			var lat []time.Duration
			var wg sync.WaitGroup
			stop := make(chan struct{})
			var next atomic.Int64
			for w := 0; w < 8; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						id := 5_000_000 + next.Add(1)
						t0 := time.Now()
						db.Query(ctx, []byte(benchRecordInsert(int(id))))
						el := time.Since(t0)
						mu.Lock()
						lat = append(lat, el)
						mu.Unlock()
					}
				}()
			}
			if during != nil {
				during()
			} else {
				time.Sleep(d)
			}
			close(stop)
			wg.Wait()
			slices.Sort(lat)
			return lat
		}
		before := measure(2*time.Second, nil)
		var compactTook time.Duration
		during := measure(0, func() {
			t0 := time.Now()
			if ok, err := db.Compact(ctx); !ok || err != nil {
				b.Fatalf("compact: %v %v", ok, err)
			}
			for db.Compacting() {
				time.Sleep(time.Millisecond)
			}
			compactTook = time.Since(t0)
		})
		p99 := func(l []time.Duration) float64 { return float64(l[len(l)*99/100].Microseconds()) / 1000 }
		b.ReportMetric(p99(before), "p99-before-ms")
		b.ReportMetric(p99(during), "p99-during-ms")
		b.ReportMetric(float64(during[len(during)-1].Microseconds())/1000, "max-during-ms")
		b.ReportMetric(compactTook.Seconds(), "compact-s")
	}
}
