package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/clitest"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
)

var addrRE = regexp.MustCompile(`127\.0\.0\.1:\d+`)

// TestAdminGolden runs the admin commands with table output (stdout a
// terminal) and compares what they print with testdata/admin.golden.
func TestAdminGolden(t *testing.T) {
	port, c := clitest.Server(t, "")
	clitest.LoadPeople(t, c)
	p := []string{"--port", port}
	cases := [][]string{
		{"collections"},
		{"query", `["select","people"]`},
		{"query", `["select","people",{"where":["=","city","Paris"],"only":["name","age"]}]`},
		{"query", `["select","people",{"only":"name","order":["name","desc"]}]`},
		{"query", `["select","people",{"where":["=","city","Nowhere"]}]`},
		{"query", `["count","people"]`},
		{"query", `["list-collections"]`},
		{"query", `["explain",["select","people",{"where":["=","city","Paris"],"order":["age","desc"],"limit":2}]]`},
		{"explain", `["select","people",{"where":["and",[">","age",30],["=","name","Ann"]]}]`},
		{"explain", `["select","people",{"where":["or",["=","id",1],["in","id",[2,3]]],"order":["name","asc"]}]`},
		{"explain", `["count","people",{"where":["=","nick","x"]}]`},
		{"indexes", "list", "people"},
		{"indexes", "list", "tags"},
		{"indexes", "create", "tags", "id"},
		{"indexes", "create", "tags", "id"},
		{"indexes", "drop", "tags", `["id"]`},
		{"indexes", "drop", "tags", "id"},
		{"compact"},
		{"drop-collection", "tags"},
		{"drop-collection", "tags"},
		{"query", `["select","people",{"where":["bogus"]}]`},
	}
	var b strings.Builder
	for _, args := range cases {
		code, out, errOut := runAdmin(t, adminRun{TTY: true}, append(args, p...)...)
		fmt.Fprintf(&b, "$ fleetdb %s\n%s", strings.Join(quoteArgs(args), " "), out)
		if errOut != "" {
			fmt.Fprintf(&b, "stderr: %s", errOut)
		}
		if code != 0 {
			fmt.Fprintf(&b, "[exit %d]\n", code)
		}
		b.WriteString("\n")
	}
	got := addrRE.ReplaceAllString(b.String(), "ADDR")
	clitest.CheckGolden(t, "admin.golden", got)
}

// TestAdminInfoPing checks the outputs that vary from run to run.
func TestAdminInfoPing(t *testing.T) {
	port, c := clitest.Server(t, "")
	clitest.LoadPeople(t, c)
	code, out, _ := runAdmin(t, adminRun{TTY: true}, "ping", "--port", port)
	if code != 0 || !regexp.MustCompile(`^pong from 127\.0\.0\.1:\d+ in \d+\.\d\d ms\n$`).MatchString(out) {
		t.Errorf("ping: exit %d, %q", code, out)
	}
	code, out, _ = runAdmin(t, adminRun{TTY: true}, "info", "--port", port)
	for _, want := range []string{"fleetdb-version", "persistent", "false", "records", "│ 6 "} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("info: exit %d, no %q in\n%s", code, want, out)
		}
	}
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, ` "[]{}`) {
			a = "'" + a + "'"
		}
		out[i] = a
	}
	return out
}

// TestAdminJSON checks the --json output of the admin commands, parsed.
func TestAdminJSON(t *testing.T) {
	port, c := clitest.Server(t, "")
	clitest.LoadPeople(t, c)
	// run runs a command with --json on a terminal; for reads it checks
	// that the output is the same when stdout is not a terminal.
	run := func(args ...string) any {
		t.Helper()
		code, out, errOut := runAdmin(t, adminRun{TTY: true}, append(append(args, "--json"), "--port", port)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		var v any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("%v: output is not JSON: %v\n%s", args, err, out)
		}
		if read := map[string]bool{"query": true, "explain": true, "collections": true, "indexes": args[0] == "indexes" && args[1] == "list"}; !read[args[0]] {
			return v
		}
		code, piped, _ := runAdmin(t, adminRun{TTY: false}, append(args, "--port", port)...)
		var v2 any
		if code != 0 || json.Unmarshal([]byte(piped), &v2) != nil || !jsonEqual(v, v2) {
			t.Errorf("%v: piped output differs from --json: %s vs %s", args, piped, out)
		}
		return v
	}
	expect := func(got any, want string) {
		t.Helper()
		var w any
		if err := json.Unmarshal([]byte(want), &w); err != nil {
			t.Fatal(err)
		}
		if !jsonEqual(got, w) {
			g, _ := json.Marshal(got)
			t.Errorf("got %s\nwant %s", g, want)
		}
	}
	expect(run("collections"), `[{"name":"people","records":4,"indexes":2,"index_specs":["age",["city",["age","desc"]]]},
		{"name":"tags","records":2,"indexes":0,"index_specs":[]}]`)
	expect(run("query", `["select","tags"]`), `[{"id":"db"},{"id":"go"}]`)
	expect(run("query", `["count","people",{"where":[">","age",30]}]`), `3`)
	expect(run("explain", `["select","people",{"where":["=","age",31]}]`), `["index-lookup",["people","age",31]]`)
	expect(run("indexes", "list", "people"), `["age",["city",["age","desc"]]]`)
	expect(run("compact"), `{"started":false,"reason":"ephemeral"}`)
	expect(run("indexes", "create", "tags", `[["id","desc"]]`), `{"collection":"tags","index":[["id","desc"]],"created":true}`)
	expect(run("indexes", "drop", "tags", "nope"), `{"collection":"tags","index":"nope","dropped":false}`)
	expect(run("drop-collection", "nope"), `{"collection":"nope","dropped":false}`)
	info := run("info").(map[string]any)
	if info["persistent"] != false || info["records"] != float64(6) || info["fleetdb-version"] == "" {
		t.Errorf("info: %v", info)
	}
	ping := run("ping").(map[string]any)
	if ping["reply"] != "pong" {
		t.Errorf("ping: %v", ping)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestAdminErrors checks the messages and exit statuses of failures:
// unreachable, auth, refused and failed queries, usage errors.
func TestAdminErrors(t *testing.T) {
	port, _ := clitest.Server(t, "s3cret")
	closed := clitest.FreePort(t)
	failing := clitest.FakeFailingServer(t)
	for _, tc := range []struct {
		args []string
		env  map[string]string
		code int
		want string
	}{
		{[]string{"ping", "--port", closed}, nil, cliutil.ExitUnreachable, "cannot reach a FleetDB server at 127.0.0.1:" + closed + ": connect: connection refused"},
		{[]string{"collections", "--host", "127.0.0.1", "--port", closed}, nil, cliutil.ExitUnreachable, "connection refused"},
		{[]string{"ping", "--port", port}, nil, cliutil.ExitRefused, "auth needed (the server has a password: give it with --password or FLEETDB_PASSWORD)"},
		{[]string{"explain", "nope", "--port", port, "--password", "s3cret"}, nil, cliutil.ExitUsage, "explain: nope is not a JSON query"},
		{[]string{"ping", "--port", port, "--password", "wrong"}, nil, cliutil.ExitRefused, "authentication failed"},
		{[]string{"ping", "--port", port}, map[string]string{cliutil.EnvPassword: "s3cret"}, cliutil.ExitOK, ""},
		{[]string{"ping"}, map[string]string{cliutil.EnvPassword: "s3cret", cliutil.EnvAddr: "127.0.0.1:" + port}, cliutil.ExitOK, ""},
		{[]string{"ping"}, map[string]string{cliutil.EnvAddr: "127.0.0.1:" + closed}, cliutil.ExitUnreachable, closed},
		{[]string{"ping", "--port", port}, map[string]string{cliutil.EnvPassword: "s3cret", cliutil.EnvAddr: "127.0.0.1:" + closed}, cliutil.ExitOK, ""},
		{[]string{"query", `["select"]`, "--port", port, "--password", "s3cret"}, nil, cliutil.ExitRefused, "query: the server refused it: Malformed query: select takes"},
		{[]string{"query", `["insert","t",{"id":1}]`, "--port", failing}, nil, cliutil.ExitFailed, "could not carry it out (it may be retried): disk on fire"},
		{[]string{"ping", "--port", "99999"}, nil, cliutil.ExitUsage, "not a TCP port"},
		{[]string{"ping"}, map[string]string{cliutil.EnvAddr: "nonsense"}, cliutil.ExitUsage, "FLEETDB_ADDR"},
		{[]string{"indexes", "create", "t", "[bad", "--port", port}, nil, cliutil.ExitUsage, "not valid JSON"},
		{[]string{"query", "   ", "--port", port}, nil, cliutil.ExitUsage, "empty query"},
		{[]string{"drop-collection"}, nil, cliutil.ExitUsage, "accepts 1 arg"},
	} {
		t.Run(strings.Join(tc.args[:1], " "), func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			stdin := strings.NewReader(`{"id":1}` + "\n")
			code, out, errOut := runAdmin(t, adminRun{Stdin: stdin}, tc.args...)
			if strings.Count(errOut, "127.0.0.1:") > 1 || strings.Contains(errOut, "fleetdb: fleetdb:") {
				t.Errorf("%v: the message repeats the address or its prefix: %q", tc.args, errOut)
			}
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("%v (env %v): exit %d, want %d; stderr %q, want it to contain %q (stdout %q)",
					tc.args, tc.env, code, tc.code, errOut, tc.want, out)
			}
		})
	}
}

// TestCompactPersistent: on a server with a log, compact starts a
// compaction, and --wait reports the new size.
func TestCompactPersistent(t *testing.T) {
	port, c := clitest.Server(t, "", func(cfg *clitest.ServerConfig) {
		cfg.File = filepath.Join(t.TempDir(), "c.fdb")
		cfg.Fsync = "never"
	})
	for i := range 50 {
		clitest.MustQuery(t, c, fmt.Sprintf(`["put","t",{"id":1,"v":%d}]`, i))
	}
	code, out, errOut := runAdmin(t, adminRun{TTY: true}, "compact", "--wait", "--port", port)
	if code != 0 || !regexp.MustCompile(`^compacted the log: \d+ bytes before, \d+ after\n$`).MatchString(out) {
		t.Fatalf("compact --wait: exit %d: %q %s", code, out, errOut)
	}
	code, out, _ = runAdmin(t, adminRun{}, "compact", "--port", port)
	var rep compactReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || !rep.Started && rep.Reason != "running" || rep.SizeBefore == 0 {
		t.Fatalf("compact: exit %d: %s", code, out)
	}
}

// TestCompactWaitForRunning: `compact; compact --wait` waits for the
// compaction the first one started (it returned at once with "running").
func TestCompactWaitForRunning(t *testing.T) {
	port, c := clitest.Server(t, "", func(cfg *clitest.ServerConfig) {
		cfg.File = filepath.Join(t.TempDir(), "c.fdb")
		cfg.Fsync = "never"
	})
	var recs []any
	for i := range 200_000 {
		recs = append(recs, map[string]any{"id": i, "pad": "padding padding padding padding"})
	}
	if _, err := c.Insert(context.Background(), "t", recs...); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 3; round++ {
		if code, out, _ := runAdmin(t, adminRun{}, "compact", "--port", port); code != 0 {
			t.Fatalf("compact: %s", out)
		}
		code, out, errOut := runAdmin(t, adminRun{}, "compact", "--wait", "--port", port)
		var rep compactReport
		if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.SizeAfter == nil {
			t.Fatalf("compact --wait: exit %d: %s %s", code, out, errOut)
		}
		info, err := c.Info(context.Background())
		if err != nil || info.Compacting {
			t.Fatalf("compact --wait returned while compacting (%+v): %s", info, out)
		}
	}
}
