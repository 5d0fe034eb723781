package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/spf13/cobra"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// ttyBuffer is a buffer that says it is a terminal (or not), so that tests
// choose between table and JSON output.
type ttyBuffer struct {
	syncBuffer
	tty bool
}

func (b *ttyBuffer) IsTerminal() bool   { return b.tty }
func (b *ttyBuffer) TerminalWidth() int { return 100 }

// adminRun is how a test runs a command line.
type adminRun struct {
	stdin     io.Reader
	tty       bool // stdout is a terminal
	stderrTTY bool
}

// runAdmin runs the fleetdb command line in-process with a fresh command
// tree, as main does, and returns the exit status, stdout and stderr.
func runAdmin(t testing.TB, r adminRun, args ...string) (int, string, string) {
	t.Helper()
	stdout := &ttyBuffer{tty: r.tty}
	stderr := &ttyBuffer{tty: r.stderrTTY}
	root := newRootCmd(stdout, stderr)
	if r.stdin == nil {
		r.stdin = strings.NewReader("")
	}
	root.SetIn(r.stdin)
	root.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "fleetdb: %v\n", err)
	}
	return exitStatus(err), stdout.String(), stderr.String()
}

// testServer serves an ephemeral database (with runServe, as `fleetdb
// serve -e` does) until the test ends, and returns its port as a flag
// value and a client of it.
func testServer(t testing.TB, password string, opts ...func(*serveConfig)) (port string, c *client.Client) {
	t.Helper()
	cfg := defaultServe()
	cfg.ephemeral = true
	cfg.password = password
	cfg.logLevel = "warn"
	for _, o := range opts {
		o(&cfg)
	}
	addr, _ := startServe(t, cfg)
	_, port, _ = net.SplitHostPort(addr)
	c, err := client.Dial(context.Background(), addr, client.WithPassword(password))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return port, c
}

// mustQuery runs a query on c and returns its JSON result.
func mustQuery(t testing.TB, c *client.Client, q string) string {
	t.Helper()
	v, err := c.Query(context.Background(), compactJSON([]byte(q)))
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return string(v)
}

// loadPeople fills the fixture of the golden tests.
func loadPeople(t testing.TB, c *client.Client) {
	t.Helper()
	mustQuery(t, c, `["insert","people",[
		{"id":1,"name":"Ann","age":31,"city":"Paris","tags":["admin","ops"]},
		{"id":2,"name":"Bob","age":27,"city":"Oslo","address":{"street":"Main St","no":12}},
		{"id":3,"name":"Cleo","age":45,"city":"Paris","note":null},
		{"id":"x-4","name":"Dan \"the man\"","age":38.5,"city":"Rome\nItaly"}]]`)
	mustQuery(t, c, `["create-index","people","age"]`)
	mustQuery(t, c, `["create-index","people",["city",["age","desc"]]]`)
	mustQuery(t, c, `["insert","tags",[{"id":"go"},{"id":"db"}]]`)
}

var addrRE = regexp.MustCompile(`127\.0\.0\.1:\d+`)

// TestAdminGolden runs the admin commands with table output (stdout a
// terminal) and compares what they print with testdata/admin.golden.
func TestAdminGolden(t *testing.T) {
	port, c := testServer(t, "")
	loadPeople(t, c)
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
		code, out, errOut := runAdmin(t, adminRun{tty: true}, append(args, p...)...)
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
	checkGolden(t, "admin.golden", got)
}

// TestAdminInfoPing checks the outputs that vary from run to run.
func TestAdminInfoPing(t *testing.T) {
	port, c := testServer(t, "")
	loadPeople(t, c)
	code, out, _ := runAdmin(t, adminRun{tty: true}, "ping", "--port", port)
	if code != 0 || !regexp.MustCompile(`^pong from 127\.0\.0\.1:\d+ in \d+\.\d\d ms\n$`).MatchString(out) {
		t.Errorf("ping: exit %d, %q", code, out)
	}
	code, out, _ = runAdmin(t, adminRun{tty: true}, "info", "--port", port)
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

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update to accept):\n%s", path, lineDiff(string(want), got))
	}
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %q\n  got  %q\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}

// TestAdminJSON checks the --json output of the admin commands, parsed.
func TestAdminJSON(t *testing.T) {
	port, c := testServer(t, "")
	loadPeople(t, c)
	// run runs a command with --json on a terminal; for reads it checks
	// that the output is the same when stdout is not a terminal.
	run := func(args ...string) any {
		t.Helper()
		code, out, errOut := runAdmin(t, adminRun{tty: true}, append(append(args, "--json"), "--port", port)...)
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
		code, piped, _ := runAdmin(t, adminRun{tty: false}, append(args, "--port", port)...)
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
	port, _ := testServer(t, "s3cret")
	closed := freePort(t)
	failing := fakeFailingServer(t)
	for _, tc := range []struct {
		args []string
		env  map[string]string
		code int
		want string
	}{
		{[]string{"ping", "--port", closed}, nil, exitUnreachable, "cannot reach a FleetDB server at 127.0.0.1:" + closed},
		{[]string{"collections", "--host", "127.0.0.1", "--port", closed}, nil, exitUnreachable, "connection refused"},
		{[]string{"ping", "--port", port}, nil, exitRefused, "auth needed"},
		{[]string{"ping", "--port", port, "--password", "wrong"}, nil, exitRefused, "authentication failed"},
		{[]string{"export", "x", "--port", port, "--password", "wrong"}, nil, exitRefused, "auth rejected"},
		{[]string{"ping", "--port", port}, map[string]string{envPassword: "s3cret"}, exitOK, ""},
		{[]string{"ping"}, map[string]string{envPassword: "s3cret", envAddr: "127.0.0.1:" + port}, exitOK, ""},
		{[]string{"ping"}, map[string]string{envAddr: "127.0.0.1:" + closed}, exitUnreachable, closed},
		{[]string{"ping", "--port", port}, map[string]string{envPassword: "s3cret", envAddr: "127.0.0.1:" + closed}, exitOK, ""},
		{[]string{"query", `["select"]`, "--port", port, "--password", "s3cret"}, nil, exitRefused, "query: the server refused it: Malformed query: select takes"},
		{[]string{"query", `["insert","t",{"id":1}]`, "--port", failing}, nil, exitFailed, "could not carry it out (it may be retried): disk on fire"},
		{[]string{"import", "t", "-", "--port", failing}, nil, exitFailed, "disk on fire"},
		{[]string{"ping", "--port", "99999"}, nil, exitUsage, "not a TCP port"},
		{[]string{"ping"}, map[string]string{envAddr: "nonsense"}, exitUsage, "FLEETDB_ADDR"},
		{[]string{"indexes", "create", "t", "[bad", "--port", port}, nil, exitUsage, "not valid JSON"},
		{[]string{"export", "t", "--where", "[bad", "--port", port}, nil, exitUsage, "not valid JSON"},
		{[]string{"query", "   ", "--port", port}, nil, exitUsage, "empty query"},
		{[]string{"drop-collection"}, nil, exitUsage, "accepts 1 arg"},
		{[]string{"import", "t", "/no/such/file.jsonl", "--port", port}, nil, exitFailure, "no such file"},
	} {
		t.Run(strings.Join(tc.args[:1], " "), func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			stdin := strings.NewReader(`{"id":1}` + "\n")
			code, out, errOut := runAdmin(t, adminRun{stdin: stdin}, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("%v (env %v): exit %d, want %d; stderr %q, want it to contain %q (stdout %q)",
					tc.args, tc.env, code, tc.code, errOut, tc.want, out)
			}
		})
	}
}

// freePort returns a port nothing listens on.
func freePort(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}

// fakeFailingServer answers every request line with status 2 ("failed").
func fakeFailingServer(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			func() {
				defer nc.Close()
				sc := bufio.NewScanner(nc)
				sc.Buffer(nil, 64<<20)
				for sc.Scan() {
					if _, err := io.WriteString(nc, `[2,"disk on fire"]`+"\r\n"); err != nil {
						return
					}
				}
			}()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// TestEveryCommandHasExamples walks the whole command tree: every command
// documents examples, and its --help shows them.
func TestEveryCommandHasExamples(t *testing.T) {
	var walk func(cmd *cobra.Command)
	walk = func(cmd *cobra.Command) {
		if cmd.Name() == "help" || cmd.Name() == "completion" {
			return
		}
		if strings.TrimSpace(cmd.Example) == "" {
			t.Errorf("%s has no examples", cmd.CommandPath())
		}
		args := append(strings.Fields(strings.TrimPrefix(cmd.CommandPath(), "fleetdb")), "--help")
		code, out, _ := runAdmin(t, adminRun{}, args...)
		if code != 0 || !strings.Contains(out, "Examples:") || !strings.Contains(out, "  fleetdb ") {
			t.Errorf("%s --help: exit %d\n%s", cmd.CommandPath(), code, out)
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(io.Discard, io.Discard))
	code, out, _ := runAdmin(t, adminRun{}, "--help")
	for _, want := range []string{"Exit status:", "3  the server refused", "4  the server could not", "5  the server could not be reached"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("fleetdb --help lacks %q", want)
		}
	}
}

// TestCompactPersistent: on a server with a log, compact starts a
// compaction, and --wait reports the new size.
func TestCompactPersistent(t *testing.T) {
	port, c := testServer(t, "", func(cfg *serveConfig) {
		cfg.ephemeral = false
		cfg.file = filepath.Join(t.TempDir(), "c.fdb")
		cfg.fsync = "never"
	})
	for i := range 50 {
		mustQuery(t, c, fmt.Sprintf(`["put","t",{"id":1,"v":%d}]`, i))
	}
	code, out, errOut := runAdmin(t, adminRun{tty: true}, "compact", "--wait", "--port", port)
	if code != 0 || !regexp.MustCompile(`^compacted the log: \d+ bytes before, \d+ after\n$`).MatchString(out) {
		t.Fatalf("compact --wait: exit %d: %q %s", code, out, errOut)
	}
	code, out, _ = runAdmin(t, adminRun{}, "compact", "--port", port)
	var rep compactReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || !rep.Started && rep.Reason != "running" || rep.SizeBefore == 0 {
		t.Fatalf("compact: exit %d: %s", code, out)
	}
}
