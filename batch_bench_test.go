package fleetdb

import (
	"math/rand/v2"
	"testing"

	"github.com/fleetdb-go/fleetdb/query"
)

// BenchmarkGetMany reads batches of 32 random records one Get after another
// and with one GetMany (the staged lookup a pipelined batch can use); ns/op
// is per record.
func BenchmarkGetMany(b *testing.B) {
	db := benchSetup(b)
	c := db.cur.Load().Collection("users")
	r := rand.New(rand.NewPCG(5, 6))
	const n = 1 << 16
	keys := make([]string, n)
	for i := range keys {
		enc, _ := query.AppendID(nil, r.IntN(benchN))
		keys[i] = string(enc)
	}
	const batch = 32
	recs := make([]string, batch)
	b.Run("one-by-one", func(b *testing.B) {
		var sum int
		for i := 0; b.Loop(); i++ {
			ks := keys[(i*batch)%n:][:batch]
			for j, k := range ks {
				recs[j], _ = c.Get(k)
				sum += int(recs[j][0])
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/record")
	})
	b.Run("many", func(b *testing.B) {
		var sum int
		for i := 0; b.Loop(); i++ {
			ks := keys[(i*batch)%n:][:batch]
			c.GetMany(ks, recs)
			for j := range ks {
				sum += int(recs[j][0])
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/record")
	})
}
