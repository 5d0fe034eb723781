package shell

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/admin"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/fleetdb-go/fleetdb/query"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/peterh/liner"
	"github.com/spf13/cobra"
	"github.com/tidwall/gjson"
)

// shellConfig is what `fleetdb shell` is told by its flags.
type shellConfig struct {
	cliutil.AdminFlags
	history   string
	noHistory bool
	bail      bool
}

// NewShellCmd builds `fleetdb shell`.
func NewShellCmd(stdout, stderr io.Writer) *cobra.Command {
	var cfg shellConfig
	cmd := &cobra.Command{
		Use:   "shell",
		Short: "An interactive prompt for queries, with history and completion",
		Long: `Open an interactive prompt on a server. Type a query (a JSON array); it runs
when its brackets balance, so it may span lines. Results show as tables with
the time they took (JSON after .json on); a result taller than the terminal
goes through $PAGER (less -FRX when PAGER is not set; PAGER= or .pager off to
turn it off), and each result of a multi-read gets a table of its own. Line
editing as in a shell (arrows, Home/End/Delete in every terminal's encoding,
Ctrl-A/E/K/U/W, Alt-B/F), history with Up/Down and Ctrl-R reverse search,
kept in ~/.fleetdb_history (--history FILE); Tab completes query names,
collection names and dot-commands (twice lists them), Ctrl-C drops the
statement being typed, Ctrl-D quits. Type .help for the dot-commands.

When stdin (or stdout) is not a terminal, the shell reads statements and prints
each result (JSON when stdout is not a terminal either), so it runs scripts:
lines starting with # are comments. A statement that fails is reported on
stderr with its line and the script goes on (or stops, with --bail); the exit
status is then that of the first failure.`,
		Example: `  fleetdb shell
  fleetdb shell --host db1 --password "$PW"
  fleetdb shell < setup.fleet                  # run a script
  printf '["count", "people"]\n.collections\n' | fleetdb shell --json`,
		Args: cliutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runShell(cmd.Context(), cfg, cmd.InOrStdin(), stdout, stderr)
		},
	}
	cfg.Register(cmd)
	f := cmd.Flags()
	f.StringVar(&cfg.history, "history", "", "history file (default ~/.fleetdb_history)")
	f.BoolVar(&cfg.noHistory, "no-history", false, "keep no history file")
	f.BoolVar(&cfg.bail, "bail", false, "in a script, stop at the first statement that fails")
	return cmd
}

// shell is one session: its connection, where it writes, and its modes.
// It runs on the command's goroutine only.
type shell struct {
	ctx  context.Context
	c    *client.Client
	addr string
	out  io.Writer // results
	errw io.Writer // errors (the terminal itself in interactive mode)
	json bool      // results as JSON
	tty  bool      // interactive

	colls   []string // collection names, for completion
	collsAt time.Time
	quit    bool
	pager   bool // long results go through $PAGER (interactive; .pager)
}

func runShell(ctx context.Context, cfg shellConfig, stdin io.Reader, stdout, stderr io.Writer) error {
	c, addr, err := cfg.Conn.DialPool(ctx, 1) // one connection: its settings persist
	if err != nil {
		return err
	}
	defer c.Close()
	sh := &shell{ctx: ctx, c: c, addr: addr, out: stdout, errw: stderr}
	if !cliutil.IsTerminal(stdin) || !cliutil.IsTerminal(stdout) {
		sh.json = cfg.AsJSON || !cliutil.IsTerminal(stdout)
		return sh.script(stdin, cfg.bail)
	}
	sh.tty, sh.json = true, cfg.AsJSON
	file := cfg.history
	if file == "" && !cfg.noHistory {
		file = defaultHistoryFile()
	}
	if cfg.noHistory {
		file = ""
	}
	sh.pager = true
	return sh.interactive(file)
}

// scriptError is the error of a script some statements of which failed.
type scriptError struct {
	failed int
	first  error
}

func (e *scriptError) Error() string {
	return fmt.Sprintf("%s failed; the first: %v", cliutil.Plural(e.failed, "statement", "statements"), e.first)
}

func (e *scriptError) Unwrap() error { return e.first }

// script runs the statements read from in.
func (sh *shell) script(in io.Reader, bail bool) error {
	var sp splitter
	var failed int
	var first error
	br := bufio.NewReaderSize(in, 64<<10)
	for !sh.quit {
		line, rerr := br.ReadString('\n')
		if rerr != nil && rerr != io.EOF {
			return rerr
		}
		if line == "" && rerr == io.EOF {
			break
		}
		for _, st := range sp.feed(strings.TrimRight(line, "\r\n")) {
			if err := sh.run(st.text); err != nil {
				err = fmt.Errorf("line %d: %w", st.line, err)
				fmt.Fprintf(sh.errw, "%v\n", err)
				if failed++; first == nil {
					first = err
				}
				if bail {
					return &scriptError{failed, first}
				}
			}
			if sh.quit {
				break
			}
		}
		if rerr == io.EOF {
			break
		}
	}
	if sp.pending() && !sh.quit {
		err := fmt.Errorf("line %d: the input ended inside a statement (unbalanced brackets)", sp.line)
		fmt.Fprintf(sh.errw, "%v\n", err)
		if failed++; first == nil {
			first = err
		}
	}
	if first != nil {
		return &scriptError{failed, first}
	}
	return nil
}

// interactive runs the prompt on a terminal with a line editor (liner:
// Emacs keys, Home/End/Delete in every terminal's encoding, Ctrl-R reverse
// search, Alt-B/F and Ctrl-W word motions, Tab completion). Ctrl-C drops
// the statement being typed; Ctrl-D on an empty line quits.
func (sh *shell) interactive(historyPath string) error {
	ln := liner.NewLiner()
	defer ln.Close()
	ln.SetCtrlCAborts(true)
	ln.SetTabCompletionStyle(liner.TabPrints)
	hist := &historyFile{path: historyPath, warn: func(msg string) { fmt.Fprintln(sh.errw, msg) }}
	for _, e := range hist.load() {
		ln.AppendHistory(e)
	}
	var sp splitter
	ln.SetWordCompleter(func(line string, pos int) (string, []string, string) {
		return sh.complete(sp.text(), line, pos)
	})
	fmt.Fprintf(sh.out, "Connected to %s. Type .help for help, Ctrl-D to quit.\n", sh.addr)
	for !sh.quit {
		prompt := "fleetdb> "
		if sp.pending() {
			prompt = "    ...> "
		}
		line, err := ln.Prompt(prompt)
		switch {
		case errors.Is(err, liner.ErrPromptAborted):
			sp.reset() // Ctrl-C: the statement being typed is dropped
			continue
		case errors.Is(err, io.EOF):
			fmt.Fprintln(sh.out) // the shell's own prompt starts on a line of its own
			return nil
		case err != nil:
			return fmt.Errorf("shell: %w", err)
		}
		for _, st := range sp.feed(line) {
			if one := oneLine(st.text); one != "" {
				ln.AppendHistory(one)
				hist.append(one)
			}
			if err := sh.run(st.text); err != nil {
				fmt.Fprintf(sh.errw, "error: %v\n", err)
			}
			if sh.quit {
				break
			}
		}
	}
	return nil
}

// run runs one statement and prints its result.
func (sh *shell) run(text string) error {
	if strings.HasPrefix(text, ".") {
		return sh.dot(text)
	}
	switch strings.ToLower(text) {
	case "quit", "exit", `\q`:
		sh.quit = true
		return nil
	case "help", `\?`:
		return sh.dot(".help")
	}
	q, err := admin.OneLine([]byte(text))
	if err != nil {
		return err
	}
	if c := q[0]; c != '[' {
		return errors.New(`a query is a JSON array, e.g. ["ping"]; type .help for help`)
	}
	start := time.Now()
	v, err := sh.c.Query(sh.ctx, q)
	took := time.Since(start)
	if err != nil {
		return cliutil.WrapServer("query", sh.addr, err)
	}
	name := gjson.GetBytes(q, "0").String()
	if query.Writes(name) {
		sh.collsAt = time.Time{} // a write may have made or dropped a collection
	}
	if sh.json {
		_, err := fmt.Fprintf(sh.out, "%s\n", v)
		return err
	}
	note := fmt.Sprintf("%.3f ms", float64(took.Microseconds())/1000)
	if name == "explain" {
		_, err = fmt.Fprintf(sh.out, "%s(%s)\n", admin.RenderPlan(v), note)
		return err
	}
	if name == "multi-read" {
		return sh.page(renderMultiRead(q, v, note))
	}
	return sh.page(withNote(cliutil.RenderValue(v, cliutil.OnlyNames(q)), note))
}

// renderMultiRead renders each result of a multi-read as a table of its
// own under the query it answers (one cell of a single table would cut
// them short).
func renderMultiRead(q []byte, v json.RawMessage, note string) string {
	queries := gjson.GetBytes(q, "1").Array()
	results := gjson.ParseBytes(v).Array()
	var b strings.Builder
	for i, r := range results {
		var sub []byte
		if i < len(queries) {
			sub = []byte(queries[i].Raw)
		}
		fmt.Fprintf(&b, "-- %d of %d: %s\n", i+1, len(results), cliutil.CompactJSON(sub))
		b.WriteString(cliutil.RenderValue(json.RawMessage(r.Raw), cliutil.OnlyNames(sub)))
	}
	b.WriteString("(" + cliutil.Plural(len(results), "result", "results") + ", " + note + ")\n")
	return b.String()
}

// withNote adds note (the timing) to the footer of a rendered result,
// "(3 rows)" → "(3 rows, 0.412 ms)", or as a line of its own.
func withNote(s, note string) string {
	trimmed := strings.TrimSuffix(s, ")\n")
	if i := strings.LastIndexByte(trimmed, '\n'); i >= 0 && strings.HasPrefix(trimmed[i+1:], "(") && len(trimmed) < len(s) {
		return trimmed + ", " + note + ")\n"
	}
	return s + "(" + note + ")\n"
}

// collections returns the collection names for completion, asked again
// when older than a few seconds or after a write.
func (sh *shell) collections() []string {
	if time.Since(sh.collsAt) > 5*time.Second {
		if names, err := sh.c.ListCollections(sh.ctx); err == nil {
			sh.colls, sh.collsAt = names, time.Now()
		}
	}
	return sh.colls
}

// complete is the line editor's Tab: it completes the word before the
// cursor. It returns the line up to the word, the candidates (each the
// whole word, with its closing quote when it is the only one), and the
// rest of the line; liner lists several candidates under the prompt.
func (sh *shell) complete(pending, line string, pos int) (head string, cands []string, tail string) {
	before := line[:pos]
	if pending != "" {
		before = pending + "\n" + before
	}
	kind, word := completionContext(before)
	var names []string
	closing := `"`
	switch kind {
	case completeQueryName:
		names = queryNames
	case completeCollection:
		names = sh.collections()
	case completeDotCommand:
		names, closing = dotCommandNames(), " "
	case completeBareColl:
		names, closing = sh.collections(), ""
	default:
		return line[:pos], nil, line[pos:]
	}
	_, matches := completeWord(word, names)
	head = line[:pos-len(word)]
	if len(matches) == 1 {
		return head, []string{matches[0] + closing}, line[pos:]
	}
	return head, matches, line[pos:]
}
