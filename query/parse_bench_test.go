package query

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParseInsert1000 parses an insert of 1,000 records of ~120 bytes
// (what import and bulk loads send), with Parse and with ParseView (which a
// standalone database's writes use); it reports records/s.
func BenchmarkParseInsert1000(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`["insert","users",[`)
	for i := 0; i < 1000; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"id":%d,"name":"user-%07d","email":"user%07d@example.com","city":"city-%02d","age":%d,"active":true}`, i, i, i, i%50, i%90)
	}
	sb.WriteString(`]]`)
	req := []byte(sb.String())
	for name, parse := range map[string]func([]byte) (Query, error){"Parse": Parse, "ParseView": ParseView} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(req)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parse(req); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkParsePing parses the smallest query.
func BenchmarkParsePing(b *testing.B) {
	req := []byte(`["ping"]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseSelect parses a select with a where, order and limit.
func BenchmarkParseSelect(b *testing.B) {
	req := []byte(`["select","users",{"where":["and",["=","city","city-07"],[">=","age",30]],"order":["age","desc"],"limit":10}]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParsePoint reads a get by id on the point path (point.go).
func BenchmarkParsePoint(b *testing.B) {
	req := []byte(`["select","people",{"where":["=","id",123456]}]`)
	b.ReportAllocs()
	var p Point
	for b.Loop() {
		if !p.Parse(req) {
			b.Fatal("not a point read")
		}
	}
}

// BenchmarkParseInsert1 parses the insert of one record that `fleetdb bench
// --type insert` sends (a pipelined insert is parsed one request at a time).
func BenchmarkParseInsert1(b *testing.B) {
	req := []byte(`["insert","fleetdb-bench",{"id":"t4k2m9x-17-123456","v":"` + strings.Repeat("x", 100) + `"}]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(req); err != nil {
			b.Fatal(err)
		}
	}
}
