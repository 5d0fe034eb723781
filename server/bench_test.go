package server_test

import (
	"bufio"
	"context"
	"fmt"
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

// inlinePong answers every query "pong" at once, as an InlineExecutor: on
// the event loop, without a goroutine hand-off.
type inlinePong struct{ pongExec }

func (inlinePong) AppendQuery(_ context.Context, dst, _ []byte) ([]byte, bool, error) {
	return append(dst, pong...), true, nil
}

// record is what recordExec answers: a get's answer of realistic size.
var record = []byte(`[{"id":12345,"k":2345,"v":"` + strings.Repeat("x", 100) + `"}]`)

// recordExec answers every query with record, at once: the server's own
// path for a get, without the database's.
type recordExec struct{}

func (recordExec) Query(context.Context, []byte) ([]byte, error) { return record, nil }
func (recordExec) AppendQuery(_ context.Context, dst, _ []byte) ([]byte, bool, error) {
	return append(dst, record...), true, nil
}

// benchPipelined sends b.N pings in bursts of depth on one connection and
// reads the answers; it reports requests per second. A non-empty setup
// request is sent (and its answer read) before the timer starts.
func benchPipelined(b *testing.B, exec server.Executor, cfg server.Config, depth int, setup string) {
	benchRequests(b, exec, cfg, depth, setup, `["ping"]`, `[0,"pong"]`)
}

// benchRequests sends b.N copies of req in bursts of depth on one
// connection and checks that each answer is want.
func benchRequests(b *testing.B, exec server.Executor, cfg server.Config, depth int, setup, req, want string) {
	ts := startServer(b, exec, cfg)
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	burst := []byte(strings.Repeat(req+"\r\n", depth))
	want += "\r\n"
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
			if err != nil || string(line) != want {
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
		{"depth=1/inline", 1, false, false, ""},
		{"depth=32/inline", 32, false, false, ""},
		{"depth=32/inline/metrics", 32, true, false, ""},
		{"depth=32/pongexec", 32, false, false, ""},
		{"depth=32/pongexec/metrics", 32, true, false, ""},
		{"depth=32/pongexec/local", 32, false, false, `["set-read-consistency","local"]`},
		{"depth=32/db/metrics", 32, true, true, ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var exec server.Executor = pongExec{}
			if strings.Contains(bc.name, "inline") {
				exec = inlinePong{}
			}
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

// BenchmarkServerGet: gets by id answered with a record, through the
// server's own path (recordExec) and through a database of 10,000 records.
func BenchmarkServerGet(b *testing.B) {
	const get = `["select","g",{"where":["=","id",1234]}]`
	for _, depth := range []int{1, 32} {
		b.Run(fmt.Sprintf("depth=%d/server", depth), func(b *testing.B) {
			benchRequests(b, recordExec{}, server.Config{}, depth, "", get, "[0,"+string(record)+"]")
		})
		b.Run(fmt.Sprintf("depth=%d/db", depth), func(b *testing.B) {
			db := newDB(b)
			var load strings.Builder
			load.WriteString(`["insert","g",[`)
			for i := range 10000 {
				if i > 0 {
					load.WriteByte(',')
				}
				fmt.Fprintf(&load, `{"id":%d,"v":"%s"}`, i, strings.Repeat("x", 100))
			}
			load.WriteString("]]")
			if _, err := db.Query(context.Background(), []byte(load.String())); err != nil {
				b.Fatal(err)
			}
			want := fmt.Sprintf(`[0,[{"id":1234,"v":"%s"}]]`, strings.Repeat("x", 100))
			benchRequests(b, db, server.Config{}, depth, "", get, want)
		})
	}
}
