package fleetdb

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tidwall/gjson"
)

// Benchmarks of change feeds (issue 14).
//
//	go test -run '^$' -bench 'WatchDurableInsert|WatchEventDelay' -count 5 .

// benchWatchDurable is benchDurable (64 writers, fsync always) with feeds
// open on the collection, each drained by its own goroutine; half of them
// have a where that matches a tenth of the records.
func benchWatchDurable(b *testing.B, feeds int) {
	db, err := Open(Options{Path: filepath.Join(b.TempDir(), "d.fdb")})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var events atomic.Int64
	wg := drainFeeds(b, ctx, db, feeds, &events)
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(32) // 64 writers on GOMAXPROCS 2
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := next.Add(1)
			if _, err := db.Query(ctx, feedBenchInsert(id)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	el := time.Since(start)
	b.ReportMetric(float64(b.N)/el.Seconds(), "writes/s")
	cancel()
	wg.Wait()
	if feeds > 0 {
		b.ReportMetric(float64(events.Load())/float64(b.N), "events/write")
	}
}

// BenchmarkWatchDurableInsert0 and ...16 compare durable insert throughput
// without and with 16 open feeds (the feeds may cost at most 10 %).
func BenchmarkWatchDurableInsert0(b *testing.B)  { benchWatchDurable(b, 0) }
func BenchmarkWatchDurableInsert16(b *testing.B) { benchWatchDurable(b, 16) }

// BenchmarkWatchEventDelay measures the delay from a write's
// acknowledgement (Query returning) to its event reaching a feed's
// consumer, with 16 writers and 4 feeds; it reports the p50 and p99 in
// microseconds (an event delivered before the acknowledgement returned
// counts as 0).
func BenchmarkWatchEventDelay(b *testing.B) {
	db, err := Open(Options{Path: filepath.Join(b.TempDir(), "d.fdb")})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const feeds = 4
	var (
		mu     sync.Mutex
		acked  = map[int64]time.Time{}
		seen   = make([][]time.Time, feeds)
		seenID = make([][]int64, feeds)
		wg     sync.WaitGroup
	)
	for i := 0; i < feeds; i++ {
		f, err := db.Watch(ctx, "p", WatchOptions{})
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer f.Close()
			for {
				ev, err := f.Next(ctx)
				if err != nil {
					return
				}
				now := time.Now()
				mu.Lock()
				seen[i] = append(seen[i], now)
				seenID[i] = append(seenID[i], gjson.ParseBytes(ev.ID).Int())
				mu.Unlock()
			}
		}()
	}
	var next atomic.Int64
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := next.Add(1)
			q := fmt.Appendf(nil, `["insert","p",{"id":%d,"age":%d}]`, id, id%90)
			if _, err := db.Query(ctx, q); err != nil {
				b.Error(err)
				return
			}
			t := time.Now()
			mu.Lock()
			acked[id] = t
			mu.Unlock()
		}
	})
	// Let the feeds catch up, then stop them.
	for deadline := time.Now().Add(10 * time.Second); db.hub.open.Load() == feeds && time.Now().Before(deadline); {
		done := true
		for i := range seen {
			mu.Lock()
			if int64(len(seenID[i])) < next.Load() {
				done = false
			}
			mu.Unlock()
		}
		if done {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	wg.Wait()
	var delays []float64
	for i := range seen {
		for k, id := range seenID[i] {
			d := seen[i][k].Sub(acked[id]).Seconds() * 1e6
			delays = append(delays, max(d, 0))
		}
	}
	if len(delays) == 0 {
		b.Fatal("no events")
	}
	slices.Sort(delays)
	b.ReportMetric(delays[len(delays)/2], "p50-µs")
	b.ReportMetric(delays[len(delays)*99/100], "p99-µs")
}

// BenchmarkWatchFeedCost interleaves short rounds of durable inserts (64
// writers, fsync always) without feeds and with 16 open feeds, on fresh
// databases, so that the machine's noise hits both alike; it reports the
// median throughput of each and the feeds' cost in percent, and the CPU
// time per write (user+system, this process) of each. Run with -benchtime 1x.
func BenchmarkWatchFeedCost(b *testing.B) {
	const rounds, writes = 8, 3000
	var rate [2][]float64
	var cpu [2]time.Duration
	var total [2]int
	for b.Loop() {
		for r := 0; r < rounds; r++ {
			for k, feeds := range []int{0, 16} {
				w, c := feedCostRound(b, feeds, writes)
				rate[k] = append(rate[k], w)
				cpu[k] += c
				total[k] += writes
			}
		}
	}
	med := func(x []float64) float64 { slices.Sort(x); return x[len(x)/2] }
	m0, m16 := med(rate[0]), med(rate[1])
	b.ReportMetric(m0, "writes/s-0feeds")
	b.ReportMetric(m16, "writes/s-16feeds")
	b.ReportMetric(100*(1-m16/m0), "cost-%")
	b.ReportMetric(float64(cpu[0].Microseconds())/float64(total[0]), "cpu-µs/write-0")
	b.ReportMetric(float64(cpu[1].Microseconds())/float64(total[1]), "cpu-µs/write-16")
}

func feedCostRound(b *testing.B, feeds, writes int) (float64, time.Duration) {
	db, err := Open(Options{Path: filepath.Join(b.TempDir(), "d.fdb")})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithCancel(context.Background())
	wg := drainFeeds(b, ctx, db, feeds, nil)
	var next atomic.Int64
	cpu0 := cpuTime()
	start := time.Now()
	var ww sync.WaitGroup
	for w := 0; w < 64; w++ {
		ww.Add(1)
		go func() {
			defer ww.Done()
			for {
				id := next.Add(1)
				if id > int64(writes) {
					return
				}
				if _, err := db.Query(ctx, feedBenchInsert(id)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	ww.Wait()
	el := time.Since(start)
	// The feeds' backlog is part of their cost: wait for them to drain.
	for db.hub.open.Load() == int64(feeds) && feeds > 0 && !feedsDrained(db) {
		time.Sleep(100 * time.Microsecond)
	}
	c := cpuTime() - cpu0
	cancel()
	wg.Wait()
	return float64(writes) / el.Seconds(), c
}

func feedsDrained(db *DB) bool {
	db.hub.mu.Lock()
	defer db.hub.mu.Unlock()
	for _, fs := range db.hub.feeds {
		for f := range fs {
			f.mu.Lock()
			n := len(f.q)
			f.mu.Unlock()
			if n > 0 {
				return false
			}
		}
	}
	return true
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// drainFeeds opens n feeds on collection "p" (every second one with a where
// matching a tenth of feedBenchInsert's records), each read to the end by a
// goroutine of its own until ctx ends; events, if not nil, counts the
// events read. The returned group waits for those goroutines.
func drainFeeds(b *testing.B, ctx context.Context, db *DB, n int, events *atomic.Int64) *sync.WaitGroup {
	b.Helper()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		o := WatchOptions{}
		if i%2 == 1 {
			o.Where = []byte(`["<","age",9]`)
		}
		f, err := db.Watch(ctx, "p", o)
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer f.Close()
			for {
				if _, err := f.Next(ctx); err != nil {
					if !errors.Is(err, context.Canceled) {
						b.Error(err)
					}
					return
				}
				if events != nil {
					events.Add(1)
				}
			}
		}()
	}
	return &wg
}

// feedBenchInsert is the write of the feed benchmarks: a new record id.
func feedBenchInsert(id int64) []byte {
	return fmt.Appendf(nil, `["insert","p",{"id":%d,"name":"user-%d","email":"u%d@example.com","age":%d}]`, id, id, id, id%90)
}
