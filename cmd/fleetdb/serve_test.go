package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/admin"
	"github.com/fleetdb-go/fleetdb/protocol"
)

// TestServeEphemeral serves a database in memory and talks to it with the
// client package; stopping returns nil.
func TestServeEphemeral(t *testing.T) {
	cfg := defaultServe()
	cfg.ephemeral = true
	addr, stop := startServe(t, cfg)
	ctx := context.Background()
	c, err := client.Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Insert(ctx, "people", map[string]any{"id": 1, "name": "Bob"}, map[string]any{"id": 2, "name": "Amy"}); err != nil || n != 2 {
		t.Fatalf("insert: %d, %v", n, err)
	}
	recs, err := c.Select(ctx, "people", client.FindOptions{Where: []any{"=", "name", "Amy"}})
	if err != nil || len(recs) != 1 || string(recs[0]) != `{"id":2,"name":"Amy"}` {
		t.Fatalf("select: %s, %v", recs, err)
	}
	info, err := c.Info(ctx)
	if err != nil || info.Persistent {
		t.Fatalf("info: %+v, %v", info, err)
	}
	c.Close()
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v", err)
	}
}

// TestServeFile: the writes acknowledged by a server with -f are there
// after a restart, and check finds the log sound.
func TestServeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.fdb")
	cfg := defaultServe()
	cfg.file = path
	ctx := context.Background()
	for round := range 3 {
		addr, stop := startServe(t, cfg)
		c, err := client.Dial(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := c.Count(ctx, "items", nil); err != nil || n != round*10 {
			t.Fatalf("round %d: count %d, %v", round, n, err)
		}
		for i := range 10 {
			if _, err := c.Insert(ctx, "items", map[string]any{"id": round*10 + i}); err != nil {
				t.Fatal(err)
			}
		}
		info, err := c.Info(ctx)
		if err != nil || !info.Persistent || info.DBFileSize == 0 {
			t.Fatalf("info: %+v, %v", info, err)
		}
		c.Close()
		if err := stop(); err != nil {
			t.Fatalf("serve: %v", err)
		}
	}
	code, out, stderr := runCmd(t, ctx, "check", "--json", path)
	var rep admin.CheckReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("check: exit %d\n%s%s", code, out, stderr)
	}
	if !rep.OK || rep.Records != 30 || rep.TornBytes != 0 || rep.LastValidOffset != rep.Size {
		t.Fatalf("check report: %+v", rep)
	}
}

// TestServeCommand runs `fleetdb serve` through the command line with a
// password and metrics, learns its address from the JSON ready line, and
// stops it with its ctx.
func TestServeCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "-e", "-p", "0", "-a", "127.0.0.1", "-x", "pw",
			"--metrics", "127.0.0.1:0", "--log-format", "json", "--max-request-bytes", "1000"}, io.Discard, pw)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var addr, metrics string
	for addr == "" && lines.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(lines.Bytes(), &rec); err != nil {
			t.Fatalf("log line is not JSON: %s", lines.Text())
		}
		switch rec["msg"] {
		case "fleetdb: ready":
			addr, _ = rec["addr"].(string)
			if rec["file"] != "ephemeral" {
				t.Errorf("ready line: %v", rec)
			}
		case "fleetdb: serving /metrics and /healthz":
			metrics, _ = rec["addr"].(string)
		}
	}
	go io.Copy(io.Discard, pr)
	if addr == "" || metrics == "" {
		t.Fatalf("no ready line (addr %q, metrics %q)", addr, metrics)
	}
	if _, err := client.Dial(ctx, addr, client.WithPassword("wrong")); err == nil {
		t.Fatal("a wrong password was accepted")
	}
	c, err := client.Dial(ctx, addr, client.WithPassword("pw"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = c.Query(ctx, []any{"insert", "x", map[string]any{"id": 1, "pad": strings.Repeat("y", 2000)}})
	if e, ok := err.(*client.Error); !ok || !e.HasPrefix(protocol.PrefixRequestTooLarge) {
		t.Fatalf("large request: %v", err)
	}
	resp, err := http.Get("http://" + metrics + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = http.Get("http://" + metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`fleetdb_server_queries_total{query="ping",status="ok"} 1`, "fleetdb_db_up 1", "fleetdb_server_auth_failures_total{reason=\"rejected\"} 1"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	c.Close()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestServeBadFile: a log that cannot be opened is an error, not a hang.
func TestServeBadFile(t *testing.T) {
	cfg := defaultServe()
	cfg.file = filepath.Join(t.TempDir(), "no", "such", "dir", "x.fdb")
	err := runServe(context.Background(), cfg, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "x.fdb") {
		t.Fatalf("runServe = %v", err)
	}
	// A port in use is an error too.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg = defaultServe()
	cfg.ephemeral = true
	cfg.port = ln.Addr().(*net.TCPAddr).Port
	if err := runServe(context.Background(), cfg, io.Discard, nil); err == nil {
		t.Fatal("serve on a port in use succeeded")
	}
}
