package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fleetdb-go/fleetdb/server"
)

// statsExec is an Executor that is also a StatsSource.
type statsExec struct {
	server.Executor
	failed atomic.Bool
}

func (e *statsExec) MetricsSnapshot() map[string]float64 {
	f := 0.0
	if e.failed.Load() {
		f = 1
	}
	return map[string]float64{"records": 42, "log_fsyncs_total": 7, server.StatLogFailed: f}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// TestMetricsAndHealthz scrapes /metrics after some traffic and follows
// /healthz through a log failure and a shutdown.
func TestMetricsAndHealthz(t *testing.T) {
	exec := &statsExec{Executor: newDB(t)}
	m := server.NewMetrics()
	ts := startServer(t, exec, server.Config{Metrics: m, Password: "pw", MaxRequestBytes: 64})
	web := httptest.NewServer(ts.HTTPHandler())
	defer web.Close()

	if code, body := get(t, web.URL+"/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	c := dial(t, ts.addr)
	for _, q := range []string{`["auth","pw"]`, `["ping"]`, `["ping"]`, `["insert","m",{"id":1}]`, `["insert","m",{"id":1}]`, `["bogus"]`, `["ping","` + strings.Repeat("x", 100) + `"]`} {
		c.query(q)
	}
	bad := dial(t, ts.addr)
	bad.query(`["auth","nope"]`)
	bad.expectEOF(2e9)
	c.nc.Close()

	_, body := get(t, web.URL+"/metrics")
	for _, want := range []string{
		`fleetdb_server_queries_total{query="ping",status="ok"} 2`,
		`fleetdb_server_queries_total{query="insert",status="ok"} 1`,
		`fleetdb_server_queries_total{query="insert",status="refused"} 1`,
		`fleetdb_server_queries_total{query="other",status="refused"} 2`,
		`fleetdb_server_queries_total{query="auth",status="ok"} 1`,
		`fleetdb_server_queries_total{query="auth",status="refused"} 1`,
		`fleetdb_server_query_duration_seconds_count{query="ping"} 2`,
		`fleetdb_server_requests_too_large_total 1`,
		`fleetdb_server_auth_failures_total{reason="rejected"} 1`,
		`fleetdb_server_connections_accepted_total 2`,
		`fleetdb_db_records 42`,
		`# TYPE fleetdb_db_log_fsyncs_total counter`,
		`# TYPE fleetdb_db_records gauge`,
		`fleetdb_server_read_bytes_total`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, `query="bogus"`) {
		t.Error("an unknown query name became a label value")
	}

	exec.failed.Store(true)
	if code, body := get(t, web.URL+"/healthz"); code != 503 || !strings.Contains(body, "log failed") {
		t.Fatalf("healthz with a failed log: %d %q", code, body)
	}
	exec.failed.Store(false)
	if err := ts.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, web.URL+"/healthz"); code != 503 || !strings.Contains(body, "shutting down") {
		t.Fatalf("healthz after shutdown: %d %q", code, body)
	}
	if _, err := server.New(exec, server.Config{Metrics: m}); err == nil {
		t.Fatal("a Metrics was adopted by two servers")
	}
}

// TestHealthzNotServing: before Serve the server is not healthy, and
// without Metrics /metrics is absent.
func TestHealthzNotServing(t *testing.T) {
	srv, err := server.New(newDB(t), server.Config{})
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(srv.HTTPHandler())
	defer web.Close()
	if code, _ := get(t, web.URL+"/healthz"); code != 503 {
		t.Fatalf("healthz before Serve: %d", code)
	}
	if code, _ := get(t, web.URL+"/metrics"); code != 404 {
		t.Fatalf("metrics without Metrics: %d", code)
	}
}
