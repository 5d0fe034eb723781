package shell

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/clitest"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"

	"github.com/creack/pty"
)

// shellScript is a script with multi-line queries, several statements on a
// line, comments, dot-commands and failures.
const shellScript = `# a comment
["count", "people"]
["select", "people",
  {"where": ["=", "city", "Paris"],
   "only": ["name", "age"]}]   -- a trailing comment
["count", "tags"] ["list-indexes", "people"]
.collections
.indexes people
.explain ["select", "people",
          {"where": ["=", "age", 31]}]
["select", "people", {"where": ["bogus"]}]
.nosuch
["insert", "tags", {"id": "new ] [ \" bracket"}]
["select", "tags", {"only": "id"}]
`

// TestShellScript runs a script through piped stdin: JSON results when
// stdout is not a terminal, failures on stderr with their line.
func TestShellScript(t *testing.T) {
	port, c := testServer(t, "")
	loadPeople(t, c)
	code, out, errOut := runAdmin(t, adminRun{stdin: strings.NewReader(shellScript)}, "shell", "--port", port)
	want := `4
[["Cleo",45],["Ann",31]]
2
["age",["city",["age","desc"]]]
[{"name":"people","records":4,"indexes":2,"index_specs":["age",["city",["age","desc"]]]},{"name":"tags","records":2,"indexes":0,"index_specs":[]}]
["age",["city",["age","desc"]]]
["index-lookup",["people","age",31]]
1
["db","go","new ] [ \" bracket"]
`
	if out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
	for _, w := range []string{
		`line 11: query: the server refused it: Malformed query: select: unknown operator "bogus"`,
		"line 12: unknown command .nosuch; type .help for the list",
		"fleetdb: 2 statements failed; the first: line 11:",
	} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
	if code != cliutil.ExitRefused {
		t.Errorf("exit %d, want %d (the first failure was refused by the server)", code, cliutil.ExitRefused)
	}

	// --bail stops at the first failure.
	code, out, _ = runAdmin(t, adminRun{stdin: strings.NewReader("[\"bad\"]\n[\"ping\"]\n")}, "shell", "--port", port, "--bail")
	if code != cliutil.ExitRefused || out != "" {
		t.Errorf("--bail: exit %d, stdout %q", code, out)
	}
	// An unterminated statement is an error; .quit ends the script.
	code, _, errOut = runAdmin(t, adminRun{stdin: strings.NewReader("[\"ping\"\n")}, "shell", "--port", port)
	if code != cliutil.ExitFailure || !strings.Contains(errOut, "line 1: the input ended inside a statement") {
		t.Errorf("unterminated: exit %d: %s", code, errOut)
	}
	code, out, _ = runAdmin(t, adminRun{stdin: strings.NewReader("[\"ping\"]\n.quit\n[\"bad\"]\n")}, "shell", "--port", port)
	if code != 0 || out != "\"pong\"\n" {
		t.Errorf(".quit: exit %d, %q", code, out)
	}
}

var timingRE = regexp.MustCompile(`\d+\.\d{3} ms`)

// TestShellScriptTables: with stdout on a terminal (and stdin a pipe) the
// results are tables with their timing.
func TestShellScriptTables(t *testing.T) {
	port, c := testServer(t, "")
	loadPeople(t, c)
	script := strings.Join([]string{
		`["select", "people", {"where": ["<", "age", 35]}]`,
		`["count", "people"]`,
		`.explain ["select", "people", {"where": ["=", "city", "Paris"]}]`,
		`.indexes people`,
		`.json on`,
		`["select", "tags"]`,
		`.json off`,
		`["select", "tags"]`,
		`.help`,
	}, "\n")
	code, out, errOut := runAdmin(t, adminRun{stdin: strings.NewReader(script), tty: true}, "shell", "--port", port)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	checkGolden(t, "shell_tables.golden", timingRE.ReplaceAllString(out, "T ms"))
}

// fakeTerminal is a terminal's input for the shell: keystrokes, written
// by the test, read by the shell.
type fakeTerminal struct{ io.Reader }

func (fakeTerminal) IsTerminal() bool { return true }

// TestShellInteractive drives the interactive shell (x/term's line
// editor) with keystrokes: completion, multi-line input, Ctrl-C, history
// across sessions.
func TestShellInteractive(t *testing.T) {
	port, c := testServer(t, "")
	loadPeople(t, c)
	hist := filepath.Join(t.TempDir(), "history")
	keys := strings.Join([]string{
		`["sel` + "\t" + `, "peo` + "\t" + `, {"limit": 1}]` + "\r", // completes select and people
		`["count",` + "\r" + `"tags"]` + "\r",                       // two lines
		`["select",` + "\r" + `"people"` + "\x03",                   // Ctrl-C drops the statement
		`.coll` + "\t\r",      // completes .collections
		`["c` + "\t" + "\x03", // several candidates: listed
		`.indexes pe` + "\t\r",
		`.json on` + "\r" + `["count", "people"]` + "\r",
	}, "")
	out := &clitest.TTYBuffer{TTY: true}
	code, _, errOut := runAdminIO(t, fakeTerminal{strings.NewReader(keys)}, out, "shell", "--port", port, "--history", hist)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	screen := out.String()
	for _, want := range []string{
		"Connected to 127.0.0.1:",
		`["select", "people", {"limit": 1}]`, // what completion made of the keys
		"│  1 │ Ann  │  31 │ Paris │",
		"(1 row, ",
		"    ...> ",
		"people     │       4 │       2", // .collections
		"checked-write  clear  cluster-join  cluster-remove  compact  count  create-index",
		`["city",["age","desc"]]`, // .indexes people
		"\r\n4\r\n",               // JSON count
	} {
		if !strings.Contains(screen, want) {
			t.Errorf("the screen lacks %q:\n%s", want, screen)
		}
	}
	data, err := os.ReadFile(hist)
	if err != nil {
		t.Fatal(err)
	}
	wantHist := `["select", "people", {"limit": 1}]
["count", "tags"]
.collections
.indexes people
.json on
["count", "people"]
`
	if string(data) != wantHist {
		t.Errorf("history file:\n%s\nwant:\n%s", data, wantHist)
	}
	// A new session: Up four times brings back .collections.
	out = &clitest.TTYBuffer{TTY: true}
	code, _, errOut = runAdminIO(t, fakeTerminal{strings.NewReader(strings.Repeat("\x1b[A", 4) + "\r")}, out, "shell", "--port", port, "--history", hist)
	if code != 0 || !strings.Contains(out.String(), "│ people     │       4 │       2 │") {
		t.Errorf("history recall: exit %d: %s\n%s", code, errOut, out.String())
	}
}

// runAdminIO is runAdmin with the caller's stdin and stdout.
func runAdminIO(t testing.TB, stdin io.Reader, stdout *clitest.TTYBuffer, args ...string) (int, string, string) {
	t.Helper()
	stderr := &clitest.TTYBuffer{}
	code := clitest.RunIO(context.Background(), commands, stdin, stdout, stderr, args...)
	return code, stdout.String(), stderr.String()
}

// TestShellPTY runs the shell as a child process on a pseudo-terminal:
// raw mode, the prompt, a multi-line query, Ctrl-C (a byte in raw mode,
// not a signal) and Ctrl-D to quit.
func TestShellPTY(t *testing.T) {
	port, c := testServer(t, "")
	loadPeople(t, c)
	hist := filepath.Join(t.TempDir(), "history")
	cmd := exec.Command(os.Args[0], "shell", "--port", port, "--history", hist)
	cmd.Env = append(os.Environ(), "FLEETDB_TEST_MAIN=1")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer tty.Close()
	var mu sync.Mutex
	var screen bytes.Buffer
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	waitFor := func(want string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			s := screen.String()
			mu.Unlock()
			if strings.Contains(s, want) {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("no %q on the terminal:\n%q", want, screen.String())
	}
	waitFor("fleetdb> ")
	tty.WriteString(`["select", "people",` + "\r")
	waitFor("    ...> ")
	tty.WriteString(`{"where": ["=", "id", 2]}]` + "\r")
	waitFor("│  2 │ Bob  │  27 │ Oslo │")
	tty.WriteString(`["count",` + "\x03")
	tty.WriteString(`["count", "tags"]` + "\r")
	waitFor("\r\n2\r\n(")
	tty.WriteString("\x04") // Ctrl-D on an empty line
	if err := cmd.Wait(); err != nil {
		mu.Lock()
		t.Fatalf("the shell exited with %v:\n%q", err, screen.String())
	}
	tty.Close()
	<-readDone
	data, _ := os.ReadFile(hist)
	if string(data) != "[\"select\", \"people\", {\"where\": [\"=\", \"id\", 2]}]\n[\"count\", \"tags\"]\n" {
		t.Errorf("history: %q", data)
	}
}

// TestShellJSONFlag: --json on a terminal prints JSON lines.
func TestShellJSONFlag(t *testing.T) {
	port, _ := testServer(t, "")
	code, out, _ := runAdmin(t, adminRun{stdin: strings.NewReader(`["info"]`), tty: true}, "shell", "--port", port, "--json")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["persistent"] != false {
		t.Errorf("exit %d: %q", code, out)
	}
}
