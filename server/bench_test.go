package server_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/server"
)

// pongExec answers every query "pong": it isolates the server's own cost.
type pongExec struct{}

func (pongExec) Query(context.Context, []byte) ([]byte, error) { return []byte(`"pong"`), nil }

// benchPipelined sends b.N pings in bursts of depth on one connection and
// reads the answers; it reports requests per second.
func benchPipelined(b *testing.B, exec server.Executor, cfg server.Config, depth int) {
	ts := startServer(b, exec, cfg)
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	burst := []byte(strings.Repeat(`["ping"]`+"\r\n", depth))
	br := bufio.NewReaderSize(nc, 64<<10)
	b.ReportAllocs()
	b.ResetTimer()
	for sent := 0; sent < b.N; sent += depth {
		if _, err := nc.Write(burst); err != nil {
			b.Fatal(err)
		}
		for range depth {
			line, err := br.ReadSlice('\n')
			if err != nil || string(line) != "[0,\"pong\"]\r\n" {
				b.Fatalf("%q, %v", line, err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

func BenchmarkServerPing(b *testing.B) {
	for _, bc := range []struct {
		name    string
		depth   int
		metrics bool
		db      bool
	}{
		{"depth=1/pongexec", 1, false, false},
		{"depth=32/pongexec", 32, false, false},
		{"depth=32/pongexec/metrics", 32, true, false},
		{"depth=32/db/metrics", 32, true, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var exec server.Executor = pongExec{}
			if bc.db {
				exec = newDB(b)
			}
			cfg := server.Config{}
			if bc.metrics {
				cfg.Metrics = server.NewMetrics()
			}
			benchPipelined(b, exec, cfg, bc.depth)
		})
	}
}
