package server_test

import (
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/server"
)

// mixedRequest is one request of TestPipelineMixed and the answer it must
// get.
type mixedRequest struct{ req, want string }

// mixedRequests builds n requests for connection conn: inserts of ids of
// its own, gets of ids it inserted earlier (or never), counts, pings,
// duplicates, malformed lines, blank lines (no answer), and per-connection
// settings; every answer is known in advance because each connection
// writes only its own collection.
func mixedRequests(conn, n int, rng *rand.Rand) []mixedRequest {
	coll := fmt.Sprintf("m%d", conn)
	var reqs []mixedRequest
	inserted := 0
	var vals []string
	for len(reqs) < n {
		switch k := rng.Intn(10); {
		case k < 3:
			v := strings.Repeat(string(rune('a'+rng.Intn(26))), rng.Intn(200))
			reqs = append(reqs, mixedRequest{fmt.Sprintf(`["insert",%q,{"id":%d,"v":"%s"}]`, coll, inserted, v), `[0,1]`})
			vals = append(vals, v)
			inserted++
		case k < 6:
			id := rng.Intn(inserted + 2)
			want := `[0,[]]`
			if id < inserted {
				want = fmt.Sprintf(`[0,[{"id":%d,"v":"%s"}]]`, id, vals[id])
			}
			reqs = append(reqs, mixedRequest{fmt.Sprintf(`["select",%q,{"where":["=","id",%d]}]`, coll, id), want})
		case k == 6:
			reqs = append(reqs, mixedRequest{fmt.Sprintf(`["count",%q]`, coll), fmt.Sprintf(`[0,%d]`, inserted)})
		case k == 7 && inserted > 0:
			id := rng.Intn(inserted)
			reqs = append(reqs, mixedRequest{fmt.Sprintf(`["insert",%q,{"id":%d}]`, coll, id), fmt.Sprintf(`[1,"Duplicated id: %d"]`, id)})
		case k == 8:
			reqs = append(reqs, mixedRequest{`["ping"]`, `[0,"pong"]`})
		default:
			switch rng.Intn(3) {
			case 0:
				reqs = append(reqs, mixedRequest{`["select"`, ""}) // malformed: status 1
			case 1:
				reqs = append(reqs, mixedRequest{"  \t", "-"}) // blank: no answer
			case 2:
				reqs = append(reqs, mixedRequest{`["set-read-consistency","local"]`, `[0,"local"]`})
			}
		}
	}
	return reqs
}

// TestPipelineMixed pipelines 10,000 mixed requests over 64 connections at
// once (each connection writes all of its requests in chunks of random
// sizes without waiting, while reading) and checks every answer and its
// order; on the event loops and on goroutines, and on the loops with a
// log fsynced at every batch (whose writes a loop commits itself when the
// writer is idle).
func TestPipelineMixed(t *testing.T) {
	for _, tc := range []struct {
		name, loops string
		durable     bool
	}{{"loops=default", "", false}, {"loops=0", "0", false}, {"loops=default/fsync", "", true}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.loops != "" {
				t.Setenv(server.EnvEventLoops, tc.loops)
			}
			db := newDB(t)
			if tc.durable {
				db = newDurableDB(t)
			}
			ts := startServer(t, db, server.Config{})
			const conns, total = 64, 10000
			var wg sync.WaitGroup
			errs := make(chan error, conns)
			for i := range conns {
				c := dial(t, ts.addr)
				reqs := mixedRequests(i, total/conns+1, rand.New(rand.NewSource(int64(i))))
				wg.Add(2)
				go func() {
					defer wg.Done()
					var stream strings.Builder
					for _, r := range reqs {
						stream.WriteString(r.req)
						stream.WriteString([]string{"\r\n", "\n"}[len(r.req)%2])
					}
					b := []byte(stream.String())
					rng := rand.New(rand.NewSource(int64(i)))
					for len(b) > 0 {
						k := min(len(b), 1+rng.Intn(8192))
						if _, err := c.nc.Write(b[:k]); err != nil {
							errs <- err
							return
						}
						b = b[k:]
					}
				}()
				go func() {
					defer wg.Done()
					for j, r := range reqs {
						if r.want == "-" {
							continue
						}
						line, err := c.br.ReadString('\n')
						if err != nil {
							errs <- fmt.Errorf("conn %d answer %d: %w", i, j, err)
							return
						}
						got := strings.TrimSuffix(line, "\r\n")
						if r.want == "" && strings.HasPrefix(got, `[1,"Malformed`) {
							continue
						}
						if got != r.want {
							errs <- fmt.Errorf("conn %d request %d %s: got %s, want %s", i, j, r.req, got, r.want)
							return
						}
					}
					// Nothing more: the connection is silent.
					c.nc.Close()
					if extra, err := io.ReadAll(c.br); len(extra) > 0 {
						errs <- fmt.Errorf("conn %d: extra answers %q (%v)", i, extra, err)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// TestPipelineBackpressure: a client that sends a large burst and reads the
// answers only later makes the server wait for the network to take them
// (and stop reading meanwhile); every answer still arrives, in order.
func TestPipelineBackpressure(t *testing.T) {
	for _, loops := range []string{"default", "0"} {
		t.Run("loops="+loops, func(t *testing.T) {
			if loops != "default" {
				t.Setenv(server.EnvEventLoops, loops)
			}
			ts := startServer(t, newDB(t), server.Config{})
			c := dial(t, ts.addr)
			const records, n = 100, 100000
			var load strings.Builder
			load.WriteString(`["insert","b",[`)
			for i := range records {
				if i > 0 {
					load.WriteByte(',')
				}
				fmt.Fprintf(&load, `{"id":%d,"pad":"%s"}`, i, strings.Repeat("p", 100))
			}
			load.WriteString("]]")
			if got := c.query(load.String()); got != fmt.Sprintf("[0,%d]", records) {
				t.Fatal(got)
			}
			var burst strings.Builder
			for i := range n {
				fmt.Fprintf(&burst, `["select","b",{"where":["=","id",%d]}]`+"\n", i%records)
			}
			wrote := make(chan error, 1)
			go func() {
				_, err := io.WriteString(c.nc, burst.String())
				wrote <- err
			}()
			// Answers (about 5 MB) pile up while nobody reads.
			var werr error
			select {
			case werr = <-wrote:
				t.Logf("the burst was taken before any answer was read (%v)", werr)
				wrote = nil
			case <-time.After(300 * time.Millisecond):
			}
			for i := range n {
				want := fmt.Sprintf(`[0,[{"id":%d,"pad":"%s"}]]`, i%records, strings.Repeat("p", 100))
				if got := c.recv(); got != want {
					t.Fatalf("answer %d: %.60s, want %.60s", i, got, want)
				}
			}
			if wrote != nil {
				werr = <-wrote
			}
			if werr != nil {
				t.Fatal(werr)
			}
		})
	}
}

// TestFinalLineAtEOF: a client that half-closes after requests, the last
// without a terminator, gets every answer (a read and a write among them)
// and then the end of the connection.
func TestFinalLineAtEOF(t *testing.T) {
	for _, loops := range []string{"default", "0"} {
		t.Run("loops="+loops, func(t *testing.T) {
			if loops != "default" {
				t.Setenv(server.EnvEventLoops, loops)
			}
			ts := startServer(t, newDB(t), server.Config{})
			for _, tc := range []struct {
				send string
				want []string
			}{
				{`["ping"]` + "\r\n" + `["count","e"]`, []string{`[0,"pong"]`, `[0,0]`}},
				// The last line and the end of input often arrive together.
				{`["insert","e",{"id":1}]`, []string{`[0,1]`}},
				{`["count","e"]` + "\n" + `["insert","e",{"id":2}]` + "\n" + `["count","e"]`, []string{`[0,1]`, `[0,1]`, `[0,2]`}},
				{"  \r\n\t", nil},
			} {
				c := dial(t, ts.addr)
				c.send(tc.send)
				if err := c.nc.(*net.TCPConn).CloseWrite(); err != nil {
					t.Fatal(err)
				}
				for _, want := range tc.want {
					if got := c.recv(); got != want {
						t.Fatalf("%q: got %s, want %s", tc.send, got, want)
					}
				}
				c.expectEOF(2 * time.Second)
			}
		})
	}
}

// TestPipelinedWritesInOneBatch: a run of pipelined writes on one
// connection is committed together, and what breaks the run is answered
// after them, in order: a read (which sees them), a write the batch does not
// take (compact), a line the server answers itself, a malformed line; the
// writes after it form the next run.
func TestPipelinedWritesInOneBatch(t *testing.T) {
	db := newDurableDB(t)
	ts := startServer(t, db, server.Config{})
	c := dial(t, ts.addr)
	reqs := []mixedRequest{
		{`["insert","w",{"id":1}]`, `[0,1]`},
		{"", "-"},
		{`["insert","w",{"id":2}]`, `[0,1]`},
		{`["insert","w",{"id":1}]`, `[1,"Duplicated id: 1"]`},
		{`["count","w"]`, `[0,2]`},
		{`["insert","w",{"id":3}]`, `[0,1]`},
		{`["compact"]`, ""},
		{`["insert","w",{"id":4}]`, `[0,1]`},
		{`["set-read-consistency","local"]`, `[0,"local"]`},
		{`["delete","w",{"where":["=","id",4]}]`, `[0,1]`},
		{`["insert","w"`, ""},
		{`["insert","w",{"id":5}]`, `[0,1]`},
		{`["count","w"]`, `[0,4]`},
	}
	var stream strings.Builder
	for _, r := range reqs {
		stream.WriteString(r.req + "\r\n")
	}
	c.send(stream.String())
	for i, r := range reqs {
		if r.want == "-" {
			continue
		}
		got := c.recv()
		if r.want == "" {
			if !strings.HasPrefix(got, "[0,") && !strings.HasPrefix(got, `[1,"Malformed`) {
				t.Errorf("request %d %s: %s", i, r.req, got)
			}
			continue
		}
		if got != r.want {
			t.Errorf("request %d %s: got %s, want %s", i, r.req, got, r.want)
		}
	}
	// The first three writes arrived in one read (a 400-byte write on
	// loopback) and were committed as one batch.
	if n := db.MetricsSnapshot()["write_batch_max"]; n < 3 {
		t.Errorf("largest write batch %v, want the first run's 3", n)
	}
}

// TestPipelinedReadsAnsweredTogether: a burst of point reads sent in one
// write (answered together through the database's AppendReads) gets every
// answer in order, each counted and timed in the metrics as if answered
// alone, with a write in the middle of the burst seen by the reads after
// it; a connection that has not authenticated gets no read answered.
func TestPipelinedReadsAnsweredTogether(t *testing.T) {
	for _, loops := range []string{"", "0"} {
		t.Run("loops="+loops, func(t *testing.T) {
			if loops != "" {
				t.Setenv(server.EnvEventLoops, loops)
			}
			db := newDB(t)
			m := server.NewMetrics()
			ts := startServer(t, db, server.Config{Metrics: m, Password: "pw"})
			c := dial(t, ts.addr)
			if got := c.query(`["auth","pw"]`); got != `[0,"auth accepted"]` {
				t.Fatalf("auth: %s", got)
			}
			for i := range 50 {
				c.query(fmt.Sprintf(`["insert","r",{"id":%d,"v":%d}]`, i, i*i))
			}
			var burst strings.Builder
			var want []string
			get := func(id int) {
				fmt.Fprintf(&burst, `["select","r",{"where":["=","id",%d]}]`+"\r\n", id)
				if id < 50 || id == 70 {
					want = append(want, fmt.Sprintf(`[0,[{"id":%d,"v":%d}]]`, id, id*id))
				} else {
					want = append(want, `[0,[]]`)
				}
			}
			for i := range 100 {
				get((i * 7) % 60)
			}
			burst.WriteString(`["insert","r",{"id":70,"v":4900}]` + "\n")
			want = append(want, `[0,1]`)
			for i := range 100 {
				get(70 - i%3)
			}
			c.send(burst.String())
			for j, w := range want {
				if got := c.recv(); got != w {
					t.Fatalf("answer %d: %s, want %s", j, got, w)
				}
			}
			web := httptest.NewServer(ts.HTTPHandler())
			defer web.Close()
			_, body := get200(t, web.URL+"/metrics")
			for _, line := range []string{
				`fleetdb_server_queries_total{query="select",status="ok"} 200`,
				`fleetdb_server_query_duration_seconds_count{query="select"} 200`,
			} {
				if !strings.Contains(body, line+"\n") {
					t.Errorf("metrics lack %q", line)
				}
			}

			// Not authenticated: refused and closed at the first read.
			bad := dial(t, ts.addr)
			bad.send(strings.Repeat(`["select","r",{"where":["=","id",1]}]`+"\n", 10))
			if got := bad.recv(); !strings.HasPrefix(got, `[1,`) {
				t.Fatalf("unauthenticated read answered %s", got)
			}
			bad.expectEOF(5 * time.Second)
		})
	}
}

// get200 fetches url and fails the test unless it answers 200.
func get200(t *testing.T, url string) (int, string) {
	t.Helper()
	code, body := get(t, url)
	if code != 200 {
		t.Fatalf("%s: %d", url, code)
	}
	return code, body
}
