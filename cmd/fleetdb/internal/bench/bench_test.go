package bench

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/clitest"
)

// TestBench runs the load generator against an in-process server: it stops
// by itself, reports every type it sent without errors, and skips a
// preload already done.
func TestBench(t *testing.T) {
	port, _ := clitest.Server(t, "")
	addr := "127.0.0.1:" + port
	ctx := context.Background()
	benchJSON := func(args ...string) benchResult {
		t.Helper()
		start := time.Now()
		code, out, stderr := runCmd(t, ctx, append([]string{"bench", "--addr", addr, "-c", "4", "-d", "300ms", "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("bench %v: exit %d\n%s", args, code, stderr)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("bench %v took %v", args, d)
		}
		var res benchResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return res
	}

	res := benchJSON("--type", "mixed", "--records", "3000", "--pipeline", "4", "--value-size", "10")
	if res.Preload == nil || res.Preload.Skipped || res.Preload.Records != 3000 {
		t.Errorf("preload: %+v", res.Preload)
	}
	ops := map[string]opResult{}
	for _, o := range res.Ops {
		ops[o.Op] = o
	}
	for _, op := range []string{"get", "insert"} {
		o := ops[op]
		if o.Requests == 0 || o.Errors != 0 || o.Throughput <= 0 || !(o.P50Ms <= o.P99Ms && o.P99Ms <= o.P999Ms && o.P999Ms <= o.MaxMs) {
			t.Errorf("%s: %+v", op, o)
		}
		// Pipelined answers are timed with the clock read when they came
		// from the network: never zero.
		if o.P50Ms <= 0 {
			t.Errorf("%s: a median latency of %v ms", op, o.P50Ms)
		}
	}
	if ops["get"].Requests < ops["insert"].Requests {
		t.Errorf("mixed is mostly gets: %+v", res.Ops)
	}
	if res.Seconds < 0.3 || res.Seconds > 5 {
		t.Errorf("ran %.2fs for -d 300ms", res.Seconds)
	}

	res = benchJSON("--type", "get", "--records", "3000")
	if res.Preload == nil || !res.Preload.Skipped {
		t.Errorf("second preload not skipped: %+v", res.Preload)
	}
	if len(res.Ops) != 1 || res.Ops[0].Op != "get" || res.Ops[0].Errors != 0 {
		t.Errorf("get: %+v", res.Ops)
	}

	code, out, stderr := runCmd(t, ctx, "bench", "--addr", addr, "-c", "2", "-d", "200ms", "--type", "ping", "--pipeline", "8")
	if code != 0 || !strings.Contains(out, "ping") || !strings.Contains(out, "req/s") || !strings.Contains(out, "p99.9") {
		t.Fatalf("table: exit %d\n%s%s", code, out, stderr)
	}
	// Nothing listening: exit status 5, as every client command, quickly.
	code, _, stderr = runCmd(t, ctx, "bench", "--addr", "127.0.0.1:1", "-d", "100ms")
	if code != 5 || strings.Count(stderr, "127.0.0.1:1") != 1 {
		t.Errorf("bench against nothing: exit %d, %q", code, stderr)
	}
}

// TestBenchConnectionFlags: bench finds its server as the other client
// commands do: --host/--port, FLEETDB_ADDR, --password/FLEETDB_PASSWORD.
func TestBenchConnectionFlags(t *testing.T) {
	ctx := context.Background()
	port, _ := testServerPassword(t, "pw")
	if code, out, stderr := runCmd(t, ctx, "bench", "--port", port, "--password", "pw", "-c", "1", "-d", "100ms", "--json"); code != 0 {
		t.Fatalf("--port --password: exit %d\n%s%s", code, out, stderr)
	}
	t.Setenv("FLEETDB_ADDR", "127.0.0.1:"+port)
	t.Setenv("FLEETDB_PASSWORD", "pw")
	if code, out, stderr := runCmd(t, ctx, "bench", "-c", "1", "-d", "100ms", "--json"); code != 0 {
		t.Fatalf("FLEETDB_ADDR, FLEETDB_PASSWORD: exit %d\n%s%s", code, out, stderr)
	}
	t.Setenv("FLEETDB_PASSWORD", "")
	if code, _, stderr := runCmd(t, ctx, "bench", "-c", "1", "-d", "100ms"); code != 3 || !strings.Contains(stderr, "--password") {
		t.Fatalf("no password: exit %d, %q", code, stderr)
	}
	t.Setenv("FLEETDB_ADDR", "127.0.0.1:1")
	if code, _, stderr := runCmd(t, ctx, "bench", "-d", "100ms"); code != 5 {
		t.Fatalf("FLEETDB_ADDR to nothing: exit %d, %q", code, stderr)
	}
}
