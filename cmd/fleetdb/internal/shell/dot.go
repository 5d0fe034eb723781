package shell

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/admin"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
)

// dotCommand is a shell command that is not a query.
type dotCommand struct {
	args string // for .help
	help string
	run  func(sh *shell, arg string) error
}

// dotCommands returns the shell's dot-commands by name.
func dotCommands() map[string]dotCommand {
	return map[string]dotCommand{
		".help": {"", "show this help", func(sh *shell, _ string) error {
			return sh.help()
		}},
		".quit": {"", "leave the shell (also .exit, quit, Ctrl-D)", func(sh *shell, _ string) error {
			sh.quit = true
			return nil
		}},
		".exit": {"", "", func(sh *shell, _ string) error {
			sh.quit = true
			return nil
		}},
		".collections": {"", "list the collections with their record and index counts", (*shell).dotCollections},
		".indexes":     {"COLL", "list the indexes of a collection", (*shell).dotIndexes},
		".explain":     {"QUERY", "show the plan of a select, count, update or delete as a tree", (*shell).dotExplain},
		".info": {"", "show what the server reports about itself", func(sh *shell, _ string) error {
			return sh.run(`["info"]`)
		}},
		".pager": {"on|off", "send results taller than the terminal through $PAGER (default less -FRX) or not", func(sh *shell, arg string) error {
			switch arg {
			case "on":
				sh.pager = true
			case "off":
				sh.pager = false
			default:
				return errors.New(".pager takes on or off")
			}
			return nil
		}},
		".json": {"on|off", "print results as JSON lines (on) or tables (off)", func(sh *shell, arg string) error {
			switch strings.ToLower(arg) {
			case "on":
				sh.json = true
			case "off":
				sh.json = false
			case "":
				fmt.Fprintf(sh.out, "json is %s\n", map[bool]string{true: "on", false: "off"}[sh.json])
			default:
				return errors.New(".json takes on or off")
			}
			return nil
		}},
	}
}

// dotCommandNames returns the names of the dot-commands, sorted.
func dotCommandNames() []string {
	var names []string
	for n := range dotCommands() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// dot runs a dot-command line.
func (sh *shell) dot(text string) error {
	name, arg, _ := strings.Cut(text, " ")
	if i := strings.IndexAny(name, "\n\t"); i >= 0 {
		name, arg = name[:i], text[i+1:]
	}
	cmd, ok := dotCommands()[name]
	if !ok {
		return fmt.Errorf("unknown command %s; type .help for the list", name)
	}
	return cmd.run(sh, strings.TrimSpace(arg))
}

func (sh *shell) help() error {
	var b strings.Builder
	b.WriteString(`Type a query, a JSON array such as ["select", "people", {"limit": 10}]; it runs
when its brackets balance, so it may span lines. Tab completes query names,
collection names and dot-commands. Commands:
`)
	for _, n := range dotCommandNames() {
		c := dotCommands()[n]
		if c.help == "" {
			continue
		}
		fmt.Fprintf(&b, "  %-22s %s\n", strings.TrimSpace(n+" "+c.args), c.help)
	}
	b.WriteString("Queries: " + strings.Join(queryNames, ", ") + "\n")
	_, err := io.WriteString(sh.out, b.String())
	return err
}

func (sh *shell) dotCollections(string) error {
	infos, err := admin.ListCollections(sh.ctx, sh.c)
	if err != nil {
		return cliutil.WrapServer(".collections", sh.addr, err)
	}
	names := make([]string, len(infos))
	for i, ci := range infos {
		names[i] = ci.Name
	}
	sh.colls = names
	if sh.json {
		b, _ := json.Marshal(infos)
		_, err := fmt.Fprintf(sh.out, "%s\n", b)
		return err
	}
	if len(infos) == 0 {
		_, err := fmt.Fprintln(sh.out, "(no collections)")
		return err
	}
	rows := make([][]string, len(infos))
	for i, ci := range infos {
		rows[i] = []string{ci.Name, strconv.Itoa(ci.Records), strconv.Itoa(ci.Indexes)}
	}
	_, err = io.WriteString(sh.out, cliutil.RenderTable([]string{"collection", "records", "indexes"}, rows,
		cliutil.Plural(len(infos), "collection", "collections")))
	return err
}

func (sh *shell) dotIndexes(arg string) error {
	if arg == "" {
		return errors.New(".indexes takes a collection name")
	}
	name := arg
	if strings.HasPrefix(arg, `"`) {
		if err := json.Unmarshal([]byte(arg), &name); err != nil {
			return fmt.Errorf(".indexes %s: %w", arg, err)
		}
	}
	specs, err := sh.c.ListIndexes(sh.ctx, name)
	if err != nil {
		return cliutil.WrapServer(".indexes", sh.addr, err)
	}
	if sh.json {
		if specs == nil {
			specs = []json.RawMessage{}
		}
		b, _ := json.Marshal(specs)
		_, err := fmt.Fprintf(sh.out, "%s\n", b)
		return err
	}
	if len(specs) == 0 {
		_, err := fmt.Fprintf(sh.out, "(no indexes on %q)\n", name)
		return err
	}
	rows := make([][]string, len(specs))
	for i, s := range specs {
		rows[i] = []string{string(s)}
	}
	_, err = io.WriteString(sh.out, cliutil.RenderTable([]string{"index"}, rows, cliutil.Plural(len(specs), "index", "indexes")))
	return err
}

func (sh *shell) dotExplain(arg string) error {
	if arg == "" {
		return errors.New(".explain takes a query")
	}
	q, err := admin.OneLine([]byte(arg))
	if err != nil {
		return err
	}
	return sh.run(`["explain",` + string(q) + `]`)
}
