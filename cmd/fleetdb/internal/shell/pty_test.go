package shell

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/clitest"
)

// ptyShell is `fleetdb shell` run as a child process on a pseudo-terminal
// (the test binary as the fleetdb binary, see TestMain), driven with the
// byte sequences real terminals send.
type ptyShell struct {
	t   *testing.T
	cmd *exec.Cmd
	tty *os.File

	mu       sync.Mutex
	screen   bytes.Buffer
	readDone chan struct{}
}

func startPTYShell(t *testing.T, rows uint16, env []string, args ...string) *ptyShell {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"shell"}, args...)...)
	cmd.Env = append(append(os.Environ(), "FLEETDB_TEST_MAIN=1", "TERM=xterm"), env...)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: rows, Cols: 120})
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	p := &ptyShell{t: t, cmd: cmd, tty: tty, readDone: make(chan struct{})}
	go func() {
		defer close(p.readDone)
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			p.mu.Lock()
			p.screen.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		tty.Close()
		<-p.readDone
	})
	p.waitFor("fleetdb> ")
	return p
}

func (p *ptyShell) text() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.screen.String()
}

// send types keys; mark is remembered so that waitFor looks only at what
// the terminal shows after them.
func (p *ptyShell) send(keys string) {
	p.t.Helper()
	if _, err := p.tty.WriteString(keys); err != nil {
		p.t.Fatal(err)
	}
}

// waitFor waits until the screen, from the offset of the last mark,
// shows want.
func (p *ptyShell) waitFor(want string) {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(p.text(), want) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.t.Fatalf("no %q on the terminal:\n%q", want, p.text())
}

// clear forgets the screen so far.
func (p *ptyShell) clear() {
	p.mu.Lock()
	p.screen.Reset()
	p.mu.Unlock()
}

// run types a line, Enter, and waits for want and then for the next
// prompt (so that nothing of this statement's output arrives after the
// next run clears the screen).
func (p *ptyShell) run(keys, want string) {
	p.t.Helper()
	p.clear()
	p.send(keys + "\r")
	p.waitFor(want)
	if strings.HasSuffix(want, "> ") {
		return // want is the prompt
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		s := p.text()
		if i := strings.Index(s, want); i >= 0 && strings.Contains(s[i+len(want):], "> ") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.t.Fatalf("no prompt after %q:\n%q", want, p.text())
}

// quit presses Ctrl-D on an empty line and checks that the shell exits 0
// leaving the cursor on a new line.
func (p *ptyShell) quit() {
	p.t.Helper()
	p.clear()
	p.send("\x04")
	if err := p.cmd.Wait(); err != nil {
		p.t.Fatalf("the shell exited with %v:\n%q", err, p.text())
	}
	p.tty.Close()
	<-p.readDone
	if s := p.text(); !strings.HasSuffix(s, "\r\n") {
		p.t.Errorf("Ctrl-D left the cursor on the prompt's line: %q", s)
	}
}

// TestShellPTY: the prompt, a multi-line query, Ctrl-C (a byte in raw
// mode, not a signal) dropping the statement being typed, Ctrl-D to quit
// on a new line, the history file.
func TestShellPTY(t *testing.T) {
	port, c := clitest.Server(t, "")
	clitest.LoadPeople(t, c)
	hist := filepath.Join(t.TempDir(), "history")
	p := startPTYShell(t, 40, nil, "--port", port, "--history", hist)
	p.send(`["select", "people",` + "\r")
	p.waitFor("    ...> ")
	p.run(`{"where": ["=", "id", 2]}]`, "│  2 │ Bob  │  27 │ Oslo │")
	p.send(`["count",` + "\r" + `"peo` + "\x03")
	p.run(`["count", "tags"]`, "\r\n2\r\n(")
	p.quit()
	data, _ := os.ReadFile(hist)
	if string(data) != "[\"select\", \"people\", {\"where\": [\"=\", \"id\", 2]}]\n[\"count\", \"tags\"]\n" {
		t.Errorf("history: %q", data)
	}
}

// TestShellKeys: the editing keys as tmux, screen and xterm send them.
// Each line below is typed so that it is a valid query only if the keys
// did what they should; a key ignored or inserted as text leaves a
// malformed query.
func TestShellKeys(t *testing.T) {
	port, c := clitest.Server(t, "")
	clitest.LoadPeople(t, c)
	p := startPTYShell(t, 40, nil, "--port", port, "--no-history")
	const two = "\r\n2\r\n(" // the count of tags
	for _, tc := range []struct{ name, keys string }{
		{"Home ESC[1~", `"count", "tags"]` + "\x1b[1~" + `[`},
		{"Home ESC[H", `"count", "tags"]` + "\x1b[H" + `[`},
		{"Home ESC O H, End ESC O F", `"count", "tags"` + "\x1bOH" + `[` + "\x1bOF" + `]`},
		{"Home ESC[7~, End ESC[4~", `"count", "tags"` + "\x1b[7~" + `[` + "\x1b[4~" + `]`},
		{"End ESC[8~", `["count", "tags"` + "\x1b[1~" + "\x1b[8~" + `]`},
		{"Delete ESC[3~", `X["count", "tags"]` + "\x1b[1~" + "\x1b[3~"},
		{"Ctrl-A, Ctrl-E", `"count", "tags"` + "\x01" + `[` + "\x05" + `]`},
		{"Ctrl-W erases a word", `["count", "tags"] junk` + "\x17"},
		{"Alt-B twice", `"count", "tags"]` + "\x1bb\x1bb" + `[`},
		{"Alt-F", `["count", "tags"` + "\x01\x1bf\x1bf" + `]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.t = t
			p.run(tc.keys, two)
		})
	}
	p.t = t
	// Ctrl-R: reverse search through the history for "tags".
	p.run(`["count", "people"]`, "\r\n4\r\n(")
	p.clear()
	p.send("\x12tags")
	p.waitFor(`["count", "tags"]`)
	p.send("\r")
	p.waitFor(two)
	// Up brings back the last statement.
	p.run("\x1b[A", two)
	p.quit()
}

// TestShellCompletion: Tab completes query names, collection names and
// dot-commands; a second Tab lists several candidates.
func TestShellCompletion(t *testing.T) {
	port, c := clitest.Server(t, "")
	clitest.LoadPeople(t, c)
	p := startPTYShell(t, 40, nil, "--port", port, "--no-history")
	p.run(`["sel`+"\t"+`, "peo`+"\t"+`, {"limit": 1}]`, "│  1 │ Ann  │  31 │ Paris │")
	p.run(".coll\t", "people     │       4 │       2")
	p.clear()
	p.send(`["c` + "\t\t")
	p.waitFor("checked-write")
	p.waitFor("create-index")
	p.send("\x03")
	p.quit()
}

// TestShellPager: a result taller than the terminal goes through $PAGER;
// .pager off and an empty PAGER turn it off; a multi-read shows each result
// in full.
func TestShellPager(t *testing.T) {
	port, c := clitest.Server(t, "")
	clitest.LoadPeople(t, c)
	p := startPTYShell(t, 6, []string{"PAGER=sed s/^/P:/"}, "--port", port, "--no-history")
	p.run(`["select", "people"]`, "P:│ x-4 │")
	p.run(`["count", "people"]`, "\r\n4\r\n(")
	if strings.Contains(p.text(), "P:") {
		t.Errorf("a short result went through the pager: %q", p.text())
	}
	p.run(".pager off", "fleetdb> ")
	p.run(`["select", "people"]`, "(4 rows")
	if strings.Contains(p.text(), "P:") {
		t.Errorf(".pager off: paged anyway: %q", p.text())
	}
	p.run(`["multi-read", [["select", "people", {"where": ["=", "id", 1]}], ["count", "tags"]]]`, "(2 results")
	for _, want := range []string{"-- 1 of 2: [\"select\",\"people\"", "│  1 │ Ann  │  31 │ Paris │", "-- 2 of 2: [\"count\",\"tags\"]", "\r\n2\r\n"} {
		if !strings.Contains(p.text(), want) {
			t.Errorf("multi-read: the screen lacks %q:\n%q", want, p.text())
		}
	}
	p.quit()
}

// TestShellHistoryAcrossSessions: Up in a new session brings back the
// statements of the last one, kept in the history file.
func TestShellHistoryAcrossSessions(t *testing.T) {
	port, c := clitest.Server(t, "")
	clitest.LoadPeople(t, c)
	hist := filepath.Join(t.TempDir(), "history")
	p := startPTYShell(t, 40, nil, "--port", port, "--history", hist)
	p.run(".collections", "people     │       4 │       2")
	p.run(`["count",`+"\r"+`"tags"]`, "\r\n2\r\n(")
	p.quit()
	if data, _ := os.ReadFile(hist); string(data) != ".collections\n[\"count\", \"tags\"]\n" {
		t.Errorf("history file: %q", data)
	}
	p = startPTYShell(t, 40, nil, "--port", port, "--history", hist)
	p.run("\x1b[A\x1b[A", "people     │       4 │       2")
	p.quit()
}
