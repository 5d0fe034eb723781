package transfer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"

	"github.com/spf13/cobra"
	"github.com/tidwall/gjson"
)

// exportConfig is what `fleetdb export` is told by its flags.
type exportConfig struct {
	conn  cliutil.ConnFlags
	where string
	out   string
	page  int
	quiet bool
}

func NewExportCmd(stdout, stderr io.Writer) *cobra.Command {
	var cfg exportConfig
	cmd := &cobra.Command{
		Use:   "export COLL",
		Short: "Write the records of a collection as JSON lines",
		Long: `Write the records of a collection (those matching --where, if given) as JSON
lines, one record per line, in id order, to stdout or --out FILE. The records
are read in pages (of about 8 MiB, or of --page records), so memory stays
bounded on the server and here whatever the size of the collection; a progress bar shows on a terminal
and a summary goes to stderr (unless --quiet).

Pages are fetched by offset, several in flight at once, and each page
overlaps the previous one by one record: if that record is not the last one
exported, the collection changed in between, and the export goes on from the
last id exported instead. So every record that exists for the whole export is
written exactly once, even while writes go on; the export as a whole is not a
snapshot (use backup for that). --out FILE is written under a temporary name
and renamed when complete.`,
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
	rc, err := dialRaw(ctx, &cfg.conn)
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
	e := &exporter{rc: rc, coll: jsonString(coll), where: where, page: cfg.page, auto: cfg.page == 0, w: w}
	if e.auto {
		e.page = firstPage
	}
	if cliutil.IsTerminal(stderr) {
		// The total, for the bar; the export does not depend on it.
		opts := "{}"
		if where != nil {
			opts = `{"where":` + string(where) + `}`
		}
		if v, err := rc.query([]byte(`["count",` + e.coll + `,` + opts + `]`)); err == nil {
			total, _ := strconv.ParseInt(string(v), 10, 64)
			e.bar = newProgress(stderr, total, "exporting "+coll, "records")
		}
	}
	err = e.run()
	e.bar.done()
	if err == nil {
		err = w.Flush()
	}
	if err == nil && file != nil {
		err = file.commit()
	}
	if err != nil {
		return cliutil.WrapServer("export "+coll, rc.addr, err)
	}
	if !cfg.quiet {
		fmt.Fprintf(stderr, "exported %s from %s (%s)\n", cliutil.Plural64(e.n, "record", "records"), coll, rate(e.n, time.Since(start), "records"))
	}
	return nil
}

// exporter streams the records of a collection in id order, page by page.
//
// Pages are asked by offset and limit, up to exportDepth at once (the
// server answers them in order, so one is on the wire while another is
// written out). Page k > 0 starts one record early: its first record must
// be the last one written. If it is not (a record before it was inserted
// or deleted meanwhile), the pages in flight are thrown away and the export
// resynchronises with one multi-read that reads the next page by id ("id
// greater than the last one written") and counts where that page ends, from
// which offset paging goes on. Offset paging is what the server does fast
// (it has no range access on ids: "id > x" scans the collection); the id
// condition is the fallback that makes it exact.
type exporter struct {
	rc    *rawConn
	coll  string          // the collection's name as JSON
	where json.RawMessage // nil: every record
	page  int
	w     *bufio.Writer
	bar   *progress

	auto    bool   // --page 0: page sizes follow the records' size
	n       int64  // records written
	resyncs int    // times the export went on from the last id
	bytes   int64  // bytes of the records written
	lastID  []byte // id (JSON) of the last record written
	rec     []byte // scratch: the record being read
	prev    []byte // scratch: the record before it
}

// exportDepth is the most pages asked for at once.
const exportDepth = 3

// pageReq is a page asked for and not yet read: how many new records it
// asked for, and whether it starts with the last record written.
type pageReq struct {
	limit   int
	overlap bool
}

// Automatic page sizes (--page 0): the first page, the bounds, and the
// bytes a page aims at.
const (
	firstPage     = 5000
	minPage       = 1000
	maxPage       = 100000
	pageBytesGoal = 8 << 20
)

func (e *exporter) run() error {
	var pending []pageReq
	next := 0 // offset of the first record the next page should bring
	more := true
	send := func() error {
		off, lim, overlap := next, e.page, next > 0
		if overlap {
			off, lim = off-1, lim+1
		}
		next += e.page
		pending = append(pending, pageReq{e.page, overlap})
		return e.rc.send(e.selectReq(e.where, off, lim))
	}
	fill := func() error {
		for more && len(pending) < exportDepth {
			if err := send(); err != nil {
				return err
			}
		}
		return e.rc.flush()
	}
	if err := fill(); err != nil {
		return err
	}
	for len(pending) > 0 {
		r := pending[0]
		pending = pending[1:]
		if !more {
			// The end was reached: the pages asked beyond it are empty.
			if err := e.rc.drain(); err != nil {
				return err
			}
			continue
		}
		got, ok, err := e.readPage(r.overlap)
		if err != nil {
			return err
		}
		limit := r.limit
		if !ok {
			// The collection changed before the last record written:
			// drop the pages in flight and go on from its id.
			for range pending {
				if err := e.rc.drain(); err != nil {
					return err
				}
			}
			pending = pending[:0]
			limit = e.page
			e.resyncs++
			if next, got, err = e.resync(); err != nil {
				return err
			}
		}
		e.bar.set(e.n)
		if got < limit {
			more = false
		}
		e.adapt()
		if err := fill(); err != nil {
			return err
		}
	}
	return nil
}

// adapt sets the size of the next pages from the records seen so far, so
// that a page is about pageBytesGoal of JSON (with --page 0).
func (e *exporter) adapt() {
	if !e.auto || e.n == 0 {
		return
	}
	avg := max(e.bytes/e.n, 1)
	e.page = int(min(max(pageBytesGoal/avg, minPage), maxPage))
}

// selectReq builds the select of one page.
func (e *exporter) selectReq(where json.RawMessage, offset, limit int) []byte {
	q := make([]byte, 0, 128+len(where))
	q = append(q, `["select",`...)
	q = append(q, e.coll...)
	q = append(q, `,{"order":["id","asc"]`...)
	if where != nil {
		q = append(q, `,"where":`...)
		q = append(q, where...)
	}
	if offset > 0 {
		q = append(q, `,"offset":`...)
		q = strconv.AppendInt(q, int64(offset), 10)
	}
	q = append(q, `,"limit":`...)
	q = strconv.AppendInt(q, int64(limit), 10)
	return append(q, `}]`...)
}

// readPage reads the answer to a page and writes its new records. With
// overlap, the first record must be the last one written: if it is not,
// nothing is written, the rest of the answer is skipped and ok is false.
func (e *exporter) readPage(overlap bool) (got int, ok bool, err error) {
	if err := e.rc.begin(); err != nil {
		return 0, false, err
	}
	sc := e.rc.sc
	if err := sc.expect('['); err != nil {
		return 0, false, e.rc.ioErr(err)
	}
	first := true
	for i := 0; ; i++ {
		more, err := sc.next(&first)
		if err != nil {
			return got, false, e.rc.ioErr(err)
		}
		if !more {
			if overlap && i == 0 {
				return 0, false, e.rc.end() // even the overlap record is gone
			}
			break
		}
		if i == 0 && overlap {
			if e.rec, err = sc.value(e.rec[:0]); err != nil {
				return 0, false, e.rc.ioErr(err)
			}
			if gjson.GetBytes(e.rec, "id").Raw != string(e.lastID) {
				for {
					more, err := sc.next(&first)
					if err != nil {
						return 0, false, e.rc.ioErr(err)
					}
					if !more {
						return 0, false, e.rc.end()
					}
					if err := sc.skip(); err != nil {
						return 0, false, e.rc.ioErr(err)
					}
				}
			}
			continue
		}
		if err := e.record(); err != nil {
			return got, false, err
		}
		got++
	}
	if got > 0 {
		e.lastID = append(e.lastID[:0], gjson.GetBytes(e.prev, "id").Raw...)
	}
	return got, true, e.rc.end()
}

// record reads the next record of the answer and writes it as a line;
// e.prev is then that record.
func (e *exporter) record() error {
	var err error
	if e.rec, err = e.rc.sc.value(e.rec[:0]); err != nil {
		return e.rc.ioErr(err)
	}
	e.w.Write(e.rec)
	e.bytes += int64(len(e.rec))
	if err := e.w.WriteByte('\n'); err != nil {
		return fmt.Errorf("writing the export: %w", err)
	}
	e.prev, e.rec = e.rec, e.prev
	e.n++
	return nil
}

// resync reads the page after the last record written by id, in one
// multi-read with the counts that tell the offset where that page ends. It
// returns that offset and the number of records of the page.
func (e *exporter) resync() (next, got int, err error) {
	if e.lastID == nil {
		return 0, 0, errors.New("export: nothing exported yet to resume from")
	}
	after := afterID(e.lastID)
	cond := after
	all := `{}`
	if e.where != nil {
		cond = json.RawMessage(`["and",` + string(e.where) + `,` + string(after) + `]`)
		all = `{"where":` + string(e.where) + `}`
	}
	q := `["multi-read",[` + string(e.selectReq(cond, 0, e.page)) + `,["count",` + e.coll + `,` + all +
		`],["count",` + e.coll + `,{"where":` + string(cond) + `}]]]`
	if err := e.rc.send([]byte(q)); err != nil {
		return 0, 0, err
	}
	if err := e.rc.flush(); err != nil {
		return 0, 0, err
	}
	if err := e.rc.begin(); err != nil {
		return 0, 0, err
	}
	sc := e.rc.sc
	if err := sc.expect('['); err != nil {
		return 0, 0, e.rc.ioErr(err)
	}
	if err := sc.expect('['); err != nil {
		return 0, 0, e.rc.ioErr(err)
	}
	first := true
	for {
		more, err := sc.next(&first)
		if err != nil {
			return 0, 0, e.rc.ioErr(err)
		}
		if !more {
			break
		}
		if err := e.record(); err != nil {
			return 0, 0, err
		}
		got++
	}
	if got > 0 {
		e.lastID = append(e.lastID[:0], gjson.GetBytes(e.prev, "id").Raw...)
	}
	var counts [2]int
	for i := range counts {
		if err := sc.expect(','); err != nil {
			return 0, 0, e.rc.ioErr(err)
		}
		v, err := sc.value(nil)
		if err != nil {
			return 0, 0, e.rc.ioErr(err)
		}
		if counts[i], err = strconv.Atoi(string(v)); err != nil {
			return 0, 0, e.rc.ioErr(fmt.Errorf("%w: count %s", errBadJSON, v))
		}
	}
	if err := sc.expect(']'); err != nil {
		return 0, 0, e.rc.ioErr(err)
	}
	if err := e.rc.end(); err != nil {
		return 0, 0, err
	}
	// Records up to the old last id: total - after; then the page.
	return counts[0] - counts[1] + got, got, nil
}

// afterID is the condition "id after this one" in the order of values:
// numbers come before strings, and a range condition compares within one
// type only, so after a number it is "a greater number, or any string".
func afterID(id []byte) json.RawMessage {
	if len(id) > 0 && id[0] == '"' {
		return json.RawMessage(`[">","id",` + string(id) + `]`)
	}
	return json.RawMessage(`["or",[">","id",` + string(id) + `],[">=","id",""]]`)
}

// jsonString returns s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
