package transfer

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/clitest"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/fleetdb-go/fleetdb/internal/testcert"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/spf13/cobra"
)

// writeLines writes a JSON lines file and returns its path.
func writeLines(t testing.TB, lines []string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// roundTripLines returns n compact records in id order (numbers, then
// strings), with nested values, escapes and unicode.
func roundTripLines(n int) []string {
	lines := make([]string, 0, n)
	for i := range n - n/10 {
		lines = append(lines, fmt.Sprintf(`{"id":%d,"name":"user %d","age":%d,"score":%d.5,"tags":["t%d","x"],"addr":{"city":"c%d","zip":"%05d"},"ok":%v,"note":null}`,
			i, i, i%97, i, i%7, i%13, i, i%2 == 0))
	}
	for i := range n / 10 {
		lines = append(lines, fmt.Sprintf(`{"id":"s-%06d","name":"Zoë \"%d\"\t\\","nested":{"a":[1,{"b":[true,false,null]}],"e":""}}`, i, i))
	}
	return lines
}

// TestImportExportRoundTrip imports 100,000 records, exports them, and
// gets the same lines back.
func TestImportExportRoundTrip(t *testing.T) {
	port, _ := clitest.Server(t, "")
	lines := roundTripLines(100_000)
	in := writeLines(t, lines)
	code, out, errOut := runAdmin(t, adminRun{}, "import", "big", in, "--port", port, "--batch", "700")
	if code != 0 {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	var rep importReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Records != 100_000 || rep.Lines != 100_000 {
		t.Fatalf("import report %s (%v)", out, err)
	}
	outFile := filepath.Join(t.TempDir(), "out.jsonl")
	code, _, errOut = runAdmin(t, adminRun{}, "export", "big", "--port", port, "--out", outFile, "--page", "7000")
	if code != 0 || !strings.Contains(errOut, "exported 100,000 records from big") {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	got, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join(lines, "\n") + "\n"
	if string(got) != want {
		t.Fatalf("the export differs from the import:\n%s", clitest.LineDiff(want, string(got)))
	}
	// --where selects; the auto page size adapts.
	code, out, _ = runAdmin(t, adminRun{}, "export", "big", "--port", port, "--where", `["and",[">=","age",90],["<","id",1000]]`, "-q")
	var n int
	for _, l := range lines[:1000] {
		if strings.Contains(l, `"age":9`) && (strings.Contains(l, `"age":90,`) || strings.Contains(l, `"age":91,`) ||
			strings.Contains(l, `"age":92,`) || strings.Contains(l, `"age":93,`) || strings.Contains(l, `"age":94,`) ||
			strings.Contains(l, `"age":95,`) || strings.Contains(l, `"age":96,`)) {
			n++
			if !strings.Contains(out, l+"\n") {
				t.Fatalf("export --where lacks %s", l)
			}
		}
	}
	if code != 0 || strings.Count(out, "\n") != n || n == 0 {
		t.Fatalf("export --where: exit %d, %d lines, want %d", code, strings.Count(out, "\n"), n)
	}
}

// hookWriter calls hook after the n-th line written through it.
type hookWriter struct {
	buf   bytes.Buffer
	lines int
	at    int
	hook  func()
}

func (w *hookWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	w.lines += bytes.Count(p, []byte("\n"))
	if w.hook != nil && w.lines >= w.at {
		w.hook()
		w.hook = nil
	}
	return len(p), nil
}

// TestExportDuringWrites changes the collection while an export runs:
// deletes, inserts before and after the export's position and among the
// string ids. The export reads one pinned snapshot, so it must give exactly
// the records as they were when it began, once each, in id order (numbers,
// then strings).
func TestExportDuringWrites(t *testing.T) {
	port, c := clitest.Server(t, "")
	ctx := context.Background()
	var recs []any
	for i := range 5000 {
		recs = append(recs, map[string]any{"id": i * 2, "v": i})
	}
	for i := range 300 {
		recs = append(recs, map[string]any{"id": fmt.Sprintf("s%04d", i)})
	}
	if _, err := c.Insert(ctx, "t", recs...); err != nil {
		t.Fatal(err)
	}
	for round, change := range []string{
		`["delete","t",{"where":["<","id",300]}]`,
		`["insert","t",[{"id":1},{"id":3},{"id":5},{"id":"late"},{"id":9001},{"id":"s0001x"}]]`,
		`["update","t",{"v":-1},{}]`,
	} {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			want := exportAll(t, c)
			var cf cliutil.ConnFlags
			cmd := &cobra.Command{Use: "x"}
			cf.Register(cmd)
			cmd.ParseFlags([]string{"--port", port})
			rc, err := cf.DialStream(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			hw := &hookWriter{at: 1000, hook: func() { clitest.MustQuery(t, c, change) }}
			w := bufio.NewWriterSize(hw, 16)
			e := &exporter{rc: rc, coll: `"t"`, page: 100, w: w}
			if err := e.run(); err != nil {
				t.Fatal(err)
			}
			w.Flush()
			if hw.hook != nil {
				t.Fatal("the change was not made during the export")
			}
			if got := hw.buf.String(); got != want {
				t.Fatalf("the export is not the snapshot it began on: %d bytes, want %d", len(got), len(want))
			}
			if after := exportAll(t, c); after == want {
				t.Fatal("the change changed nothing")
			}
		})
	}
}

// exportAll returns the JSON lines of every record of t in id order, read
// with one select.
func exportAll(t *testing.T, c *client.Client) string {
	t.Helper()
	recs, err := c.Select(context.Background(), "t", map[string]any{"order": []any{"id", "asc"}})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range recs {
		b.Write(r)
		b.WriteByte('\n')
	}
	return b.String()
}

// count returns the number of records of a collection.
func count(t testing.TB, c *client.Client, coll string) int {
	t.Helper()
	n, err := c.Count(context.Background(), coll, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportStopsAtBadLine: a bad line stops the import with its number;
// the lines before it are written, none after.
func TestImportStopsAtBadLine(t *testing.T) {
	port, c := clitest.Server(t, "")
	mk := func(n int, bad map[int]string) string {
		lines := make([]string, n)
		for i := range lines {
			lines[i] = fmt.Sprintf(`{"id":%d}`, i+1)
			if b, ok := bad[i+1]; ok {
				lines[i] = b
			}
		}
		return writeLines(t, lines)
	}
	for _, tc := range []struct {
		name  string
		file  string
		args  []string
		code  int
		want  string
		count int
	}{
		{"invalid JSON", mk(3000, map[int]string{1500: `{"id":1500,"x":}`}), nil, cliutil.ExitFailure, "line 1500: invalid JSON", 1499},
		{"no id", mk(100, map[int]string{10: `{"name":"x"}`}), []string{"--batch", "4"}, cliutil.ExitFailure, `line 10: no "id" attribute`, 9},
		{"bad id", mk(100, map[int]string{3: `{"id":[1]}`}), nil, cliutil.ExitFailure, `line 3: "id" is [1]`, 2},
		{"not an object", mk(100, map[int]string{1: `[1]`}), nil, cliutil.ExitFailure, "line 1: not a JSON object", 0},
		{"too deep", mk(100, map[int]string{50: `{"id":50,"x":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}`}), nil, cliutil.ExitFailure, "line 50: nested deeper", 49},
		// An id already there: the batch holding it is refused, the ones
		// sent behind it are undone, the records before it written.
		{"duplicate of a stored id", mk(5000, nil), []string{"--batch", "100", "--window", "16"}, cliutil.ExitRefused, "line 2500: Duplicated id: 2500", 2500},
		// An id twice in the input.
		{"duplicate in the input", mk(1000, map[int]string{700: `{"id":5}`}), []string{"--batch", "64"}, cliutil.ExitRefused, "line 700: Duplicated id: 5", 699},
	} {
		t.Run(tc.name, func(t *testing.T) {
			coll := strings.ReplaceAll(tc.name, " ", "-")
			if tc.name == "duplicate of a stored id" {
				clitest.MustQuery(t, c, `["insert","`+coll+`",{"id":2500,"pre":true}]`)
			}
			args := append([]string{"import", coll, tc.file, "--port", port}, tc.args...)
			code, out, errOut := runAdmin(t, adminRun{}, args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d (want %d)\nstderr %s\nwant it to contain %q\nstdout %s", code, tc.code, errOut, tc.want, out)
			}
			if n := count(t, c, coll); n != tc.count {
				t.Fatalf("%d records written, want %d (%s)", n, tc.count, errOut)
			}
			// Nothing from the bad line on.
			if after := clitest.MustQuery(t, c, `["count","`+coll+`",{"where":[">","id",2500]}]`); after != "0" {
				t.Fatalf("%s records after the bad line", after)
			}
		})
	}
}

// TestImportUpsert: put replaces records; an id twice in a batch is split
// into two batches, so the later line wins.
func TestImportUpsert(t *testing.T) {
	port, c := clitest.Server(t, "")
	clitest.MustQuery(t, c, `["insert","u",[{"id":1,"v":"old"},{"id":9,"v":"untouched"}]]`)
	lines := []string{`{"id":1,"v":"a"}`, `{"id":2,"v":"a"}`, `{"id":1.0,"v":"b"}`, ``, `{"id":3,"v":"a"}`, `{"id":2,"v":"b"}`}
	in := writeLines(t, lines)
	stdin := strings.NewReader("\xef\xbb\xbf" + strings.Join(lines, "\r\n")) // from stdin: a BOM, CRLF, no final line break
	code, out, errOut := runAdmin(t, adminRun{TTY: true, Stdin: stdin}, "import", "u", "-", "--upsert", "--port", port)
	if code != 0 || !strings.Contains(out, "imported 5 records into u from stdin") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	got := clitest.MustQuery(t, c, `["select","u",{"only":"v"}]`)
	if got != `["b","b","a","untouched"]` {
		t.Fatalf("after the upsert: %s", got)
	}
	// Without --upsert the same file is refused at its first line.
	code, _, errOut = runAdmin(t, adminRun{}, "import", "u", in, "--port", port)
	if code != cliutil.ExitRefused || !strings.Contains(errOut, "import u: line 1: Duplicated id: 1") {
		t.Fatalf("insert over existing ids: exit %d: %s", code, errOut)
	}
}

// TestImportSmallServerLimit: batches larger than the server's request
// limit are refused whole; the loader splits them and writes everything.
func TestImportSmallServerLimit(t *testing.T) {
	port, c := clitest.Server(t, "", func(cfg *clitest.ServerConfig) { cfg.MaxRequestBytes = 3000 })
	lines := roundTripLines(1000)
	in := writeLines(t, lines)
	for _, upsert := range []string{"--upsert=false", "--upsert=true"} {
		code, out, errOut := runAdmin(t, adminRun{}, "import", "small", in, "--port", port, "--batch", "100", upsert)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s %s", upsert, code, out, errOut)
		}
		if n := count(t, c, "small"); n != 1000 {
			t.Fatalf("%s: %d records", upsert, n)
		}
		clitest.MustQuery(t, c, `["drop-collection","small"]`)
	}
}

// TestTransferErrors checks the messages and exit statuses of failures:
// auth, a failing server, usage errors, a missing file.
func TestTransferErrors(t *testing.T) {
	port, _ := clitest.Server(t, "s3cret")
	failing := clitest.FakeFailingServer(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"export", "x", "--port", port, "--password", "wrong"}, cliutil.ExitRefused, "auth rejected"},
		{[]string{"import", "t", "-", "--port", failing}, cliutil.ExitFailed, "disk on fire"},
		{[]string{"export", "t", "--where", "[bad", "--port", port}, cliutil.ExitUsage, "not valid JSON"},
		{[]string{"import", "t", "/no/such/file.jsonl", "--port", port}, cliutil.ExitFailure, "no such file"},
		{[]string{"export", "nosuch", "--port", port, "--password", "s3cret"}, cliutil.ExitFailure, "export nosuch: no such collection; nothing exported"},
	} {
		t.Run(strings.Join(tc.args[:1], " "), func(t *testing.T) {
			stdin := strings.NewReader(`{"id":1}` + "\n")
			code, out, errOut := runAdmin(t, adminRun{Stdin: stdin}, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("%v: exit %d, want %d; stderr %q, want it to contain %q (stdout %q)",
					tc.args, code, tc.code, errOut, tc.want, out)
			}
		})
	}
}

// TestTransferTLS: import, export, backup and restore stream over TLS with
// the connection flags' --tls-ca; without it the server cannot be reached.
func TestTransferTLS(t *testing.T) {
	ca := testcert.NewCA(t, "test CA")
	srv := ca.Issue(t, "server", "127.0.0.1")
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	port, c := clitest.Server(t, "", func(cfg *clitest.ServerConfig) {
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{srv.TLS}, MinVersion: tls.VersionTLS12}
		cfg.ClientTLS = &tls.Config{RootCAs: ca.Pool}
	})
	in := writeLines(t, roundTripLines(300))
	p := []string{"--port", port, "--tls-ca", caFile}
	if code, out, errOut := runAdmin(t, adminRun{}, append([]string{"import", "t", in}, p...)...); code != 0 {
		t.Fatalf("import over TLS: exit %d: %s%s", code, out, errOut)
	}
	code, out, errOut := runAdmin(t, adminRun{}, append([]string{"export", "t", "-q"}, p...)...)
	if code != 0 || strings.Count(out, "\n") != 300 {
		t.Fatalf("export over TLS: exit %d, %d lines: %s", code, strings.Count(out, "\n"), errOut)
	}
	backup := filepath.Join(t.TempDir(), "b.fdbk")
	if code, _, errOut := runAdmin(t, adminRun{}, append([]string{"backup", backup}, p...)...); code != 0 {
		t.Fatalf("backup over TLS: exit %d: %s", code, errOut)
	}
	clitest.MustQuery(t, c, `["drop-collection","t"]`)
	if code, _, errOut := runAdmin(t, adminRun{}, append([]string{"restore", backup}, p...)...); code != 0 || count(t, c, "t") != 300 {
		t.Fatalf("restore over TLS: exit %d: %s", code, errOut)
	}
	if code, _, _ := runAdmin(t, adminRun{}, "export", "t", "--port", port); code != cliutil.ExitUnreachable {
		t.Fatalf("plain export to a TLS port: exit %d, want %d", code, cliutil.ExitUnreachable)
	}
}
