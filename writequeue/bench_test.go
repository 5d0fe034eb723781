package writequeue

import (
	"context"
	"testing"
	"time"
)

// benchReq is the request of the benchmarks: each submitting goroutine
// reuses one, so the benchmark measures the queue's own allocations.
type benchReq struct{ n int }

// benchEnv is an Env that does nothing except, optionally, sleep in Persist
// as an fsync would.
type benchEnv struct{ persist time.Duration }

func (e benchEnv) Apply(batch []*benchReq) error {
	for _, r := range batch {
		r.n++
	}
	return nil
}

func (e benchEnv) Persist([]*benchReq) error {
	if e.persist > 0 {
		time.Sleep(e.persist)
	}
	return nil
}

func (benchEnv) Publish([]*benchReq)      {}
func (benchEnv) Abort([]*benchReq, error) {}

// BenchmarkSubmitParallel submits from 32 goroutines per GOMAXPROCS and
// reports the mean batch size as req/batch.
//
//	go test -run '^$' -bench SubmitParallel -count 5 ./writequeue/
func BenchmarkSubmitParallel(b *testing.B) {
	for _, bc := range []struct {
		name string
		env  benchEnv
		opts Options
	}{
		{"noop", benchEnv{}, Options{}},
		{"persist=1ms", benchEnv{persist: time.Millisecond}, Options{}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			q, err := New[*benchReq](bc.env, bc.opts)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetParallelism(32)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				r := &benchReq{}
				ctx := context.Background()
				for pb.Next() {
					if err := q.Submit(ctx, r); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			if err := q.Close(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(q.Stats().MeanBatch(), "req/batch")
		})
	}
}

// BenchmarkSubmitSerial is one goroutine submitting: every request is a
// batch of one, so this is the round trip through the writer goroutine.
func BenchmarkSubmitSerial(b *testing.B) {
	q, err := New[*benchReq](benchEnv{}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	r := &benchReq{}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := q.Submit(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}
