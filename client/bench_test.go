package client

import (
	"context"
	"testing"
)

// BenchmarkQueryPing measures one round trip on a pooled loopback
// connection to the fake server.
func BenchmarkQueryPing(b *testing.B) {
	s := newFakeServer(b, "")
	c := dial(b, s)
	ctx := context.Background()
	var q any = []any{"ping"} // boxed once, not per call
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Query(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPipelinePing sends 32 pings per Pipeline call; ns/query is the
// cost of one of them.
func BenchmarkPipelinePing(b *testing.B) {
	s := newFakeServer(b, "")
	c := dial(b, s)
	ctx := context.Background()
	const depth = 32
	qs := make([]any, depth)
	for i := range qs {
		qs[i] = []any{"ping"}
	}
	b.ReportAllocs()
	for b.Loop() {
		results, err := c.Pipeline(ctx, qs)
		if err != nil {
			b.Fatal(err)
		}
		if results[depth-1].Err != nil {
			b.Fatal(results[depth-1].Err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*depth), "ns/query")
}
