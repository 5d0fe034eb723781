package shell

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"

	"golang.org/x/term"
)

// historyLimit is the most statements the shell keeps in its history.
const historyLimit = 1000

// shellHistory is the line history of the interactive shell, kept in a
// file across sessions (term.History). The terminal adds every line it
// reads; once a statement is complete, commit replaces its lines by the
// statement on one line, which is what Up brings back and what is
// appended to the file. It is used by the shell's goroutine only.
type shellHistory struct {
	entries []string // oldest first
	lines   int      // lines added by the terminal since the last commit
	file    string   // "" for none
	warned  bool
	errw    func(string)
}

// loadHistory reads the last historyLimit statements of file (missing is
// fine).
func loadHistory(file string, warn func(string)) *shellHistory {
	h := &shellHistory{file: file, errw: warn}
	if file == "" {
		return h
	}
	f, err := os.Open(file)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			warn(fmt.Sprintf("history: %v", err))
		}
		return h
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			h.entries = append(h.entries, line)
		}
	}
	if n := len(h.entries); n > historyLimit {
		h.entries = append([]string(nil), h.entries[n-historyLimit:]...)
	}
	return h
}

func (h *shellHistory) Add(entry string) {
	h.entries = append(h.entries, entry)
	h.lines++
}

func (h *shellHistory) Len() int { return len(h.entries) }

func (h *shellHistory) At(i int) string { return h.entries[len(h.entries)-1-i] }

// commit replaces the lines of the statement just read by the statement
// (its lines joined by spaces) and appends it to the file. An empty stmt
// only drops the lines (an interrupted statement).
func (h *shellHistory) commit(stmt string) {
	h.entries = h.entries[:max(len(h.entries)-h.lines, 0)]
	h.lines = 0
	stmt = strings.Join(strings.Fields(strings.ReplaceAll(stmt, "\n", " ")), " ")
	if stmt == "" || len(h.entries) > 0 && h.entries[len(h.entries)-1] == stmt {
		return
	}
	h.entries = append(h.entries, stmt)
	if len(h.entries) > historyLimit {
		h.entries = h.entries[len(h.entries)-historyLimit:]
	}
	if h.file == "" {
		return
	}
	f, err := os.OpenFile(h.file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err == nil {
		_, err = f.WriteString(stmt + "\n")
		err = errors.Join(err, f.Close())
	}
	if err != nil && !h.warned {
		h.warned = true
		h.errw(fmt.Sprintf("history: %v (history is not saved)", err))
	}
}

// defaultHistoryFile is ~/.fleetdb_history, or "" without a home.
func defaultHistoryFile() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".fleetdb_history")
}

// interruptReader passes the terminal's input through, except that it
// turns Ctrl-C into keyInterrupt followed by Enter. term.Terminal would
// take Ctrl-C for the end of input; keyInterrupt instead reaches the
// shell's key callback, which clears the line and notes the interruption,
// and Enter makes ReadLine return, so that the shell drops the statement
// being typed. Being in the byte stream, the interruption is seen in order
// with the keys typed before and after it.
type interruptReader struct {
	r       io.Reader
	pending bool // an Enter is owed
}

// keyInterrupt is what Ctrl-C becomes: Ctrl-\, which term.Terminal hands
// to the key callback.
const keyInterrupt = 0x1c

func (r *interruptReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.pending {
		p[0], r.pending = '\r', false
		return 1, nil
	}
	n, err := r.r.Read(p[:max(len(p)/2, 1)])
	extra := bytes.Count(p[:n], []byte{3})
	if extra == 0 {
		return n, err
	}
	if n+extra > len(p) { // a one-byte buffer
		p[0], r.pending = keyInterrupt, true
		return 1, err
	}
	j := n + extra
	for i := n - 1; i >= 0; i-- {
		if p[i] == 3 {
			j -= 2
			p[j], p[j+1] = keyInterrupt, '\r'
		} else {
			j--
			p[j] = p[i]
		}
	}
	return n + extra, err
}

// terminalIO is the terminal's input and output as one io.ReadWriter.
type terminalIO struct {
	io.Reader
	io.Writer
}

// rawMode puts the terminal in raw mode when in is a terminal device; the
// returned function restores it. A test's fake terminal has no device and
// is left as it is.
func rawMode(in io.Reader) (restore func(), err error) {
	f, ok := in.(interface{ Fd() uintptr })
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}, nil
	}
	fd := int(f.Fd())
	old, err := term.MakeRaw(fd)
	if err != nil {
		return nil, err
	}
	return func() { term.Restore(fd, old) }, nil
}

// terminalSize returns the size of the terminal w writes to (80x24 if
// unknown).
func terminalSize(w io.Writer) (int, int) {
	if f, ok := w.(interface{ Fd() uintptr }); ok {
		if wd, ht, err := term.GetSize(int(f.Fd())); err == nil {
			return wd, ht
		}
	}
	if wd := cliutil.TerminalWidth(w); wd > 0 {
		return wd, 24
	}
	return 80, 24
}
