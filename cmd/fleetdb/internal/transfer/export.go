package transfer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/fleetdb-go/fleetdb/client"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/spf13/cobra"
)

// exportConfig is what `fleetdb export` is told by its flags.
type exportConfig struct {
	conn  cliutil.ConnFlags
	where string
	out   string
	page  int
	quiet bool
}

// NewExportCmd builds `fleetdb export`.
func NewExportCmd(stdout, stderr io.Writer) *cobra.Command {
	var cfg exportConfig
	cmd := &cobra.Command{
		Use:   "export COLL",
		Short: "Write the records of a collection as JSON lines",
		Long: `Write the records of a collection (those matching --where, if given) as JSON
lines, one record per line, in id order, to stdout or --out FILE. The records
are read in pages (of about 512 KiB, or of --page records), so memory stays
bounded on the server and here whatever the size of the collection; a progress
bar shows on a terminal and a summary goes to stderr (unless --quiet).

The export is consistent: it reads one pinned snapshot (["snapshot-open"],
docs/changefeeds.md), so writes that go on meanwhile are either wholly in it or not at
all. Each page is the records after the last id exported, which the server
serves from its record map at the cost of the page. --out FILE is written
under a temporary name and renamed when complete.`,
		Example: `  fleetdb export people > people.jsonl
  fleetdb export people --out people.jsonl
  fleetdb export people --where '[">=", "age", 18]' | gzip > adults.jsonl.gz`,
		Args: cliutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.page < 0 {
				return cliutil.Usagef(fmt.Errorf("--page %d: want 0 (automatic) or more", cfg.page))
			}
			var where json.RawMessage
			if cfg.where != "" {
				if !json.Valid([]byte(cfg.where)) {
					return cliutil.Usagef(fmt.Errorf("--where %s: not valid JSON", cfg.where))
				}
				where = cliutil.CompactJSON([]byte(cfg.where))
			}
			return runExport(cmd.Context(), cfg, args[0], where, stdout, stderr)
		},
	}
	cfg.conn.Register(cmd)
	cmd.Long += "\n" + cliutil.ConnHelp
	f := cmd.Flags()
	f.StringVar(&cfg.where, "where", "", "export only the records matching this condition (JSON)")
	f.StringVarP(&cfg.out, "out", "o", "", "write to FILE instead of stdout")
	f.IntVar(&cfg.page, "page", 0, "records per page (0: about 8 MiB of records per page)")
	f.BoolVarP(&cfg.quiet, "quiet", "q", false, "no summary on stderr")
	return cmd
}

func runExport(ctx context.Context, cfg exportConfig, coll string, where json.RawMessage, stdout, stderr io.Writer) error {
	rc, err := cfg.conn.DialStream(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	out := stdout
	var file *atomicFile
	if cfg.out != "" {
		if file, err = createAtomic(cfg.out); err != nil {
			return err
		}
		defer file.abort() // after commit, only fails quietly
		out = file
	}
	start := time.Now()
	w := bufio.NewWriterSize(out, 1<<20)
	e := &exporter{rc: rc, coll: jsonString(coll), where: where, page: cfg.page, w: w}
	if e.pin, err = openPinned(rc); err != nil {
		return cliutil.WrapServer("export "+coll+": snapshot-open", rc.Addr(), err)
	}
	if err := e.checkExists(coll); err != nil {
		e.pin.close()
		return err
	}
	if cliutil.IsTerminal(stderr) {
		// The total, for the bar; the export does not depend on it.
		opts := "{}"
		if where != nil {
			opts = `{"where":` + string(where) + `}`
		}
		if v, err := e.pin.query(`["count",` + e.coll + `,` + opts + `]`); err == nil {
			total, _ := strconv.ParseInt(string(v), 10, 64)
			e.bar = newProgress(stderr, total, "exporting "+coll, "records")
		}
	}
	err = e.run()
	if err == nil {
		err = e.pin.close()
	}
	e.bar.done()
	if err == nil {
		err = w.Flush()
	}
	if err == nil && file != nil {
		err = file.commit()
	}
	if err != nil {
		return cliutil.WrapServer("export "+coll, rc.Addr(), err)
	}
	if !cfg.quiet {
		fmt.Fprintf(stderr, "exported %s from %s (%s)\n", cliutil.Plural64(e.n, "record", "records"), coll, rate(e.n, time.Since(start), "records"))
	}
	return nil
}

// exporter streams the records of a collection in id order from a pinned
// snapshot, page by page (see pager).
type exporter struct {
	rc    *client.Stream
	coll  string          // the collection's name as JSON
	where json.RawMessage // nil: every record
	page  int             // records per page; 0: about pageBytesGoal
	w     *bufio.Writer
	bar   *progress

	pin   *pinned // opened by run unless set
	sizes pageSizer
	n     int64 // records written
}

// Automatic page sizes (--page 0): the first page, the bounds, and the
// bytes a page aims at.
const (
	firstPage     = 5000
	minPage       = 1000
	maxPage       = 100000
	pageBytesGoal = 512 << 10 // under the server's kept answer buffer (1 MiB)
)

func (e *exporter) run() error {
	if e.pin == nil {
		p, err := openPinned(e.rc)
		if err != nil {
			return err
		}
		defer p.close()
		e.pin = p
	}
	size := e.sizes.next
	if e.page > 0 {
		size = func() int { return e.page }
	}
	g := &pager{p: e.pin, coll: e.coll, where: e.where, page: size}
	_, err := g.each(func(rec []byte) error {
		e.sizes.add(len(rec))
		e.w.Write(rec)
		if err := e.w.WriteByte('\n'); err != nil {
			return fmt.Errorf("writing the export: %w", err)
		}
		if e.n++; e.n&4095 == 0 {
			e.bar.set(e.n)
		}
		return nil
	})
	e.bar.set(e.n)
	return err
}

// jsonString returns s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// errNoCollection is the export of a collection that does not exist (has
// no records and no indexes): most likely a misspelt name.
var errNoCollection = errors.New("no such collection")

// checkExists refuses to export a collection the pinned snapshot does not
// hold, instead of writing an empty export that looks like success.
func (e *exporter) checkExists(coll string) error {
	v, err := e.pin.query(`["list-collections"]`)
	if err != nil {
		return cliutil.WrapServer("export "+coll+": list-collections", e.rc.Addr(), err)
	}
	var names []string
	if err := json.Unmarshal(v, &names); err != nil {
		return fmt.Errorf("export %s: list-collections answered %.64s: %w", coll, v, err)
	}
	if slices.Contains(names, coll) {
		return nil
	}
	return fmt.Errorf("export %s: %w; nothing exported (fleetdb collections lists them)", coll, errNoCollection)
}
