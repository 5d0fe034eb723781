package fleetdb

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Cluster benchmarks: three members in this process on 127.0.0.1 (real
// TCP, bolt with fsync in temporary directories), 64 client goroutines
// spread evenly over the members through DB.Query.
//
//	go test -run '^$' -bench Cluster -benchtime 100000x .
const benchClients = 64

func benchCluster(b *testing.B) []*DB {
	b.Helper()
	return openTestCluster(b, 3, func(o *Options) {
		o.Cluster.HeartbeatTimeout = time.Second
		o.Cluster.ElectionTimeout = time.Second
		o.Cluster.NoSync = os.Getenv("FLEETDB_BENCH_NOSYNC") != ""
	})
}

// runClients runs b.N operations over benchClients goroutines, client i on
// member i%3, and reports ops/s and latency percentiles.
func runClients(b *testing.B, dbs []*DB, unit string, op func(db *DB, client, i int) error) {
	var (
		next  atomic.Int64
		mu    sync.Mutex
		lats  []time.Duration
		wg    sync.WaitGroup
		errs  atomic.Int64
		first error
	)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for c := range benchClients {
		wg.Go(func() {
			var db *DB
			if len(dbs) > 0 {
				db = dbs[c%len(dbs)]
			}
			mine := make([]time.Duration, 0, b.N/benchClients+1)
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					break
				}
				t0 := time.Now()
				if err := op(db, c, i); err != nil {
					if errs.Add(1) == 1 {
						mu.Lock()
						first = err
						mu.Unlock()
					}
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := errs.Load(); n > 0 {
		b.Fatalf("%d operations failed, first: %v", n, first)
	}
	slices.Sort(lats)
	pct := func(p float64) float64 {
		if len(lats) == 0 {
			return 0
		}
		return float64(lats[int(p*float64(len(lats)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), unit+"/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkClusterInsert: replicated single-record inserts.
func BenchmarkClusterInsert(b *testing.B) {
	dbs := benchCluster(b)
	ctx := context.Background()
	if os.Getenv("FLEETDB_BENCH_LEADER_ONLY") != "" {
		dbs = []*DB{waitClusterLeader(b, dbs)}
	}
	runClients(b, dbs, "inserts", func(db *DB, c, i int) error {
		_, err := db.Query(ctx, fmt.Appendf(nil, `["insert","bench",{"id":%d,"client":%d,"name":"user %d","n":%d}]`, i, c, i, i))
		return err
	})
}

// BenchmarkClusterRead: linearizable lookups by id.
func BenchmarkClusterRead(b *testing.B) {
	dbs := benchCluster(b)
	ctx := context.Background()
	const records = 10000
	for i := 0; i < records; i += 500 {
		var recs []byte
		for j := i; j < i+500; j++ {
			if j > i {
				recs = append(recs, ',')
			}
			recs = fmt.Appendf(recs, `{"id":%d,"name":"user %d"}`, j, j)
		}
		if _, err := dbs[0].Query(ctx, fmt.Appendf(nil, `["insert","bench",[%s]]`, recs)); err != nil {
			b.Fatal(err)
		}
	}
	runClients(b, dbs, "reads", func(db *DB, c, i int) error {
		_, err := db.Query(ctx, fmt.Appendf(nil, `["select","bench",{"where":["=","id",%d]}]`, i%records))
		return err
	})
}
