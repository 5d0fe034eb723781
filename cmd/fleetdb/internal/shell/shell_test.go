package shell

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/clitest"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
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
	port, c := clitest.Server(t, "")
	clitest.LoadPeople(t, c)
	code, out, errOut := runAdmin(t, adminRun{Stdin: strings.NewReader(shellScript)}, "shell", "--port", port)
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
	code, out, _ = runAdmin(t, adminRun{Stdin: strings.NewReader("[\"bad\"]\n[\"ping\"]\n")}, "shell", "--port", port, "--bail")
	if code != cliutil.ExitRefused || out != "" {
		t.Errorf("--bail: exit %d, stdout %q", code, out)
	}
	// An unterminated statement is an error; .quit ends the script.
	code, _, errOut = runAdmin(t, adminRun{Stdin: strings.NewReader("[\"ping\"\n")}, "shell", "--port", port)
	if code != cliutil.ExitFailure || !strings.Contains(errOut, "line 1: the input ended inside a statement") {
		t.Errorf("unterminated: exit %d: %s", code, errOut)
	}
	code, out, _ = runAdmin(t, adminRun{Stdin: strings.NewReader("[\"ping\"]\n.quit\n[\"bad\"]\n")}, "shell", "--port", port)
	if code != 0 || out != "\"pong\"\n" {
		t.Errorf(".quit: exit %d, %q", code, out)
	}
}

var timingRE = regexp.MustCompile(`\d+\.\d{3} ms`)

// TestShellScriptTables: with stdout on a terminal (and stdin a pipe) the
// results are tables with their timing.
func TestShellScriptTables(t *testing.T) {
	port, c := clitest.Server(t, "")
	clitest.LoadPeople(t, c)
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
	code, out, errOut := runAdmin(t, adminRun{Stdin: strings.NewReader(script), TTY: true}, "shell", "--port", port)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	clitest.CheckGolden(t, "shell_tables.golden", timingRE.ReplaceAllString(out, "T ms"))
}

// TestShellJSONFlag: --json on a terminal prints JSON lines.
func TestShellJSONFlag(t *testing.T) {
	port, _ := clitest.Server(t, "")
	code, out, _ := runAdmin(t, adminRun{Stdin: strings.NewReader(`["info"]`), TTY: true}, "shell", "--port", port, "--json")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["persistent"] != false {
		t.Errorf("exit %d: %q", code, out)
	}
}
