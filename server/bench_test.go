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

// pong is shared: converting the constant on every call would allocate,
// and the benchmark would report the stub's allocation as the server's.
var pong = []byte(`"pong"`)

func (pongExec) Query(context.Context, []byte) ([]byte, error) { return pong, nil }

// benchPipelined sends b.N pings in bursts of depth on one connection and
// reads the answers; it reports requests per second. A non-empty setup
// request is sent (and its answer read) before the timer starts.
func benchPipelined(b *testing.B, exec server.Executor, cfg server.Config, depth int, setup string) {
	ts := startServer(b, exec, cfg)
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	burst := []byte(strings.Repeat(`["ping"]`+"\r\n", depth))
	br := bufio.NewReaderSize(nc, 64<<10)
	if setup != "" {
		if _, err := nc.Write([]byte(setup + "\r\n")); err != nil {
			b.Fatal(err)
		}
		if line, err := br.ReadSlice('\n'); err != nil || line[1] != '0' {
			b.Fatalf("%s: %q, %v", setup, line, err)
		}
	}
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
		setup   string
	}{
		{"depth=1/pongexec", 1, false, false, ""},
		{"depth=32/pongexec", 32, false, false, ""},
		{"depth=32/pongexec/metrics", 32, true, false, ""},
		{"depth=32/pongexec/local", 32, false, false, `["set-read-consistency","local"]`},
		{"depth=32/db/metrics", 32, true, true, ""},
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
			benchPipelined(b, exec, cfg, bc.depth, bc.setup)
		})
	}
}
