package shell

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/term"
)

// historyLimit is the most statements the shell keeps in its history.
const historyLimit = 1000

// historyFile is the shell's history on disk: one statement a line, the
// last historyLimit of them read at start, each statement appended as it
// runs. The line editor (liner) keeps the history in memory.
type historyFile struct {
	path   string // "" for none
	warned bool
	warn   func(string)
}

// load returns the last historyLimit statements of the file (missing is
// fine).
func (h *historyFile) load() []string {
	if h.path == "" {
		return nil
	}
	f, err := os.Open(h.path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			h.warn(fmt.Sprintf("history: %v", err))
		}
		return nil
	}
	defer f.Close()
	var entries []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			entries = append(entries, line)
		}
	}
	if n := len(entries); n > historyLimit {
		entries = entries[n-historyLimit:]
	}
	return entries
}

// oneLine is a statement as the history keeps it: its lines joined by
// single spaces.
func oneLine(stmt string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(stmt, "\n", " ")), " ")
}

// append adds a statement to the file; a failure is reported once.
func (h *historyFile) append(stmt string) {
	if h.path == "" || stmt == "" {
		return
	}
	f, err := os.OpenFile(h.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err == nil {
		_, err = f.WriteString(stmt + "\n")
		err = errors.Join(err, f.Close())
	}
	if err != nil && !h.warned {
		h.warned = true
		h.warn(fmt.Sprintf("history: %v (history is not saved)", err))
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

// terminalRows returns the height of the terminal w writes to (24 if
// unknown).
func terminalRows(w io.Writer) int {
	if f, ok := w.(interface{ Fd() uintptr }); ok {
		if _, ht, err := term.GetSize(int(f.Fd())); err == nil && ht > 0 {
			return ht
		}
	}
	return 24
}

// defaultPager is what long results go through when $PAGER is not set, as
// psql does: -F quits at once when the text fits on the screen, -R keeps
// colours, -X leaves the text on the screen after quitting.
const defaultPager = "less -FRX"

// page writes text to out, through the pager when it is taller than the
// terminal (interactive mode only). $PAGER chooses the pager; an empty
// PAGER (PAGER= fleetdb shell) or ".pager off" turns it off. A pager that
// cannot be started is skipped: the text is written directly.
func (sh *shell) page(text string) error {
	if !sh.tty || !sh.pager || strings.Count(text, "\n") < terminalRows(sh.out)-1 {
		_, err := io.WriteString(sh.out, text)
		return err
	}
	pager, set := os.LookupEnv("PAGER")
	if !set {
		pager = defaultPager
	}
	if strings.TrimSpace(pager) == "" {
		_, err := io.WriteString(sh.out, text)
		return err
	}
	cmd := exec.Command("sh", "-c", pager)
	cmd.Stdin = strings.NewReader(text)
	cmd.Stdout = sh.out
	cmd.Stderr = sh.errw
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return nil // the user quit the pager early, or it failed after showing the text
		}
		_, werr := io.WriteString(sh.out, text)
		return werr
	}
	return nil
}
