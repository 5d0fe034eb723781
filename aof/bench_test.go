package aof_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/fleetdb-go/fleetdb/aof"
)

// benchRecord is a record of the typical size.
var benchRecord = []byte(fmt.Sprintf(`["insert","people",{"id":%d,"name":"%s"}]`, 123456789, make([]byte, 100)))[:150]

func benchBatch(n int) [][]byte {
	batch := make([][]byte, n)
	for i := range batch {
		batch[i] = benchRecord
	}
	return batch
}

// BenchmarkAppendSyncAlways measures one Append (write + fsync) of a batch of 150-byte
// records on the machine's disk.
func BenchmarkAppendSyncAlways(b *testing.B) {
	for _, n := range []int{1, 64} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			l, err := aof.Open(filepath.Join(b.TempDir(), "log.aof"), aof.Options{}, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			batch := benchBatch(n)
			b.SetBytes(int64(n * len(benchRecord)))
			b.ReportAllocs()
			before := l.Stats()
			b.ResetTimer()
			for range b.N {
				if err := l.Append(batch); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			st := l.Stats()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/batch")
			b.ReportMetric(float64(st.Fsyncs-before.Fsyncs)/float64(b.N), "fsyncs/batch")
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkFsync is the baseline: the machine's raw latency of appending 150 bytes to a file
// and fsyncing it.
func BenchmarkFsync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "raw"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.ReportAllocs()
	for range b.N {
		if _, err := f.Write(benchRecord); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReplay opens a log of 1,000,000 records of 150 bytes in batches of 64 and replays
// it (validating pass plus replay pass). Allocations per op must not grow with the records.
func BenchmarkReplay(b *testing.B) {
	const records = 1_000_000
	path := filepath.Join(b.TempDir(), "log.aof")
	l, err := aof.Open(path, aof.Options{Sync: aof.SyncNever}, nil)
	if err != nil {
		b.Fatal(err)
	}
	batch := benchBatch(64)
	for n := 0; n < records; n += len(batch) {
		if err := l.Append(batch[:min(len(batch), records-n)]); err != nil {
			b.Fatal(err)
		}
	}
	size := l.Size()
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		n := 0
		l, err := aof.Open(path, aof.Options{Sync: aof.SyncNever}, func(rec []byte) error {
			n++
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if n != records {
			b.Fatalf("replayed %d records", n)
		}
		l.Close()
	}
	b.ReportMetric(float64(records*b.N)/b.Elapsed().Seconds(), "records/s")
}
