package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/admin"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/fleetdb-go/fleetdb/query"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/spf13/cobra"
	"github.com/tidwall/gjson"
	"golang.org/x/term"
)

// shellConfig is what `fleetdb shell` is told by its flags.
type shellConfig struct {
	cliutil.AdminFlags
	history   string
	noHistory bool
	bail      bool
}

func NewShellCmd(stdout, stderr io.Writer) *cobra.Command {
	var cfg shellConfig
	cmd := &cobra.Command{
		Use:   "shell",
		Short: "An interactive prompt for queries, with history and completion",
		Long: `Open an interactive prompt on a server. Type a query (a JSON array); it runs
when its brackets balance, so it may span lines. Results show as tables with
the time they took (JSON after .json on). Line editing as in a shell (arrows,
Home/End, Ctrl-A/E/K/U/W), history with Up/Down kept in ~/.fleetdb_history
(--history FILE), Tab completes query names, collection names and
dot-commands, Ctrl-C drops the statement being typed, Ctrl-D quits.
Type .help for the dot-commands.

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

	colls       []string // collection names, for completion
	collsAt     time.Time
	quit        bool
	interrupted bool // Ctrl-C while a line was edited
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
	return sh.interactive(stdin, stdout, file)
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

// interactive runs the prompt on a terminal.
func (sh *shell) interactive(stdin io.Reader, stdout io.Writer, historyFile string) error {
	restore, err := rawMode(stdin)
	if err != nil {
		return fmt.Errorf("shell: %w", err)
	}
	defer restore()
	ir := &interruptReader{r: stdin}
	t := term.NewTerminal(terminalIO{ir, stdout}, "fleetdb> ")
	t.SetSize(terminalSize(stdout))
	sh.out, sh.errw = t, t
	hist := loadHistory(historyFile, func(msg string) { fmt.Fprintln(t, msg) })
	t.History = hist
	var sp splitter
	t.AutoCompleteCallback = func(line string, pos int, key rune) (string, int, bool) {
		switch key {
		case '\t':
			return sh.complete(t, sp.text(), line, pos)
		case keyInterrupt:
			sh.interrupted = true
			return "", 0, true
		}
		return "", 0, false
	}
	fmt.Fprintf(t, "Connected to %s. Type .help for help, Ctrl-D to quit.\n", sh.addr)
	for !sh.quit {
		if sp.pending() {
			t.SetPrompt("    ...> ")
		} else {
			t.SetPrompt("fleetdb> ")
		}
		line, err := t.ReadLine()
		if err != nil && !errors.Is(err, term.ErrPasteIndicator) {
			if err == io.EOF {
				fmt.Fprintln(t)
				return nil
			}
			return err
		}
		if sh.interrupted {
			sh.interrupted = false
			sp.reset()
			hist.commit("")
			continue
		}
		for _, st := range sp.feed(line) {
			hist.commit(st.text)
			if err := sh.run(st.text); err != nil {
				fmt.Fprintf(t, "error: %v\n", err)
			}
			if sh.quit {
				break
			}
		}
		if !sp.pending() {
			hist.commit("")
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
	_, err = io.WriteString(sh.out, withNote(cliutil.RenderValue(v, cliutil.OnlyNames(q)), note))
	return err
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

// complete is the terminal's Tab: it completes the word before the cursor
// and, when several candidates remain, lists them above the prompt.
func (sh *shell) complete(t *term.Terminal, pending, line string, pos int) (string, int, bool) {
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
		return "", 0, false
	}
	insert, cands := completeWord(word, names)
	if len(cands) == 1 {
		insert += closing
	} else if len(cands) > 1 && insert == "" {
		fmt.Fprintln(t, strings.Join(cands, "  "))
	}
	if insert == "" {
		return "", 0, false
	}
	return line[:pos] + insert + line[pos:], pos + len(insert), true
}
