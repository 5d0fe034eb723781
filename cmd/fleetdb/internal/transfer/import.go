package transfer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/spf13/cobra"
)

// importConfig is what `fleetdb import` is told by its flags.
type importConfig struct {
	cliutil.AdminFlags
	batch      int
	batchBytes int
	window     int
	upsert     bool
}

// importReport is import's summary (the JSON of --json).
type importReport struct {
	Collection string  `json:"collection"`
	Records    int64   `json:"records"` // written
	Lines      int64   `json:"lines"`   // read, blank ones included
	Seconds    float64 `json:"seconds"`
	PerSecond  float64 `json:"records_per_second"`
}

// NewImportCmd builds `fleetdb import`.
func NewImportCmd(stdout, stderr io.Writer) *cobra.Command {
	var cfg importConfig
	cmd := &cobra.Command{
		Use:   "import COLL FILE|-",
		Short: "Load JSON lines into a collection",
		Long: `Read JSON lines from FILE (or stdin for "-"), one record per line (blank lines
are skipped), and insert them into COLL in batches of --batch records, each
batch one insert query, several batches in flight at once. With --upsert
each batch is a put: a record replaces the one with its id.

Every line is checked before its batch is sent: a JSON object with an "id"
that is a number or a string. A bad line, or a record the server refuses
(e.g. an id that is already there), stops the import with the line's number:
every record before that line is written and none from it on (batches are
all or nothing; those sent behind a refused one are undone, except with
--upsert, which cannot undo a put: see the message). So an import can be
resumed after the bad line is fixed with: tail -n +LINE FILE | fleetdb import
COLL -.

A progress bar shows on a terminal; the summary goes to stdout.`,
		Example: `  fleetdb import people people.jsonl
  fleetdb import people people.jsonl --upsert --batch 5000
  zcat people.jsonl.gz | fleetdb import people -
  fleetdb export people --host old-server | fleetdb import people - --host new-server`,
		Args: cliutil.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.batch < 1 || cfg.batchBytes < 1 || cfg.window < 1 {
				return cliutil.Usagef(errors.New("--batch, --batch-bytes and --window must be at least 1"))
			}
			return runImport(cmd.Context(), cfg, args[0], args[1], cmd.InOrStdin(), stdout, stderr)
		},
	}
	cfg.Register(cmd)
	f := cmd.Flags()
	f.IntVar(&cfg.batch, "batch", 1000, "records per insert query")
	f.IntVar(&cfg.batchBytes, "batch-bytes", 4<<20, "most bytes per insert query (stay under the server's --max-request-bytes)")
	f.IntVar(&cfg.window, "window", 8, "batches in flight at once")
	f.BoolVar(&cfg.upsert, "upsert", false, "put instead of insert: replace the records whose id exists")
	return cmd
}

func runImport(ctx context.Context, cfg importConfig, coll, src string, stdin io.Reader, stdout, stderr io.Writer) error {
	in, size := stdin, int64(-1)
	if src != "-" {
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
		in = f
	}
	rc, err := cfg.Conn.DialStream(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	start := time.Now()
	l := newLoader(rc, coll, cfg.upsert, cfg.batch, cfg.batchBytes, cfg.window)
	defer l.abort()
	bar := newProgress(stderr, size, "importing "+coll, "bytes")
	lines, err := feedLines(in, l, bar)
	bar.done()
	if err != nil {
		var le *lineError
		if errors.As(err, &le) {
			// As the other failures of import: "import COLL: ...".
			err = fmt.Errorf("import %s: %w", coll, err)
		}
		return cliutil.WrapServer("import "+coll, rc.Addr(), err)
	}
	rep := importReport{Collection: coll, Records: l.written.Load(), Lines: lines}
	d := time.Since(start)
	rep.Seconds = d.Seconds()
	if rep.Seconds > 0 {
		rep.PerSecond = float64(rep.Records) / rep.Seconds
	}
	o := cliutil.NewOutput(stdout, cfg.AsJSON)
	if o.JSON {
		return o.Emit(rep)
	}
	from := src
	if src == "-" {
		from = "stdin"
	}
	return o.Say("imported %s into %s from %s (%s)", cliutil.Plural64(rep.Records, "record", "records"), coll, from, rate(rep.Records, d, "records"))
}

// feedLines reads JSON lines from in into the loader until the end of the
// input or the first bad line, and returns the number of lines read.
func feedLines(in io.Reader, l *loader, bar *progress) (int64, error) {
	br := bufio.NewReaderSize(in, 1<<20)
	var lineNo, read int64
	var long []byte
	for {
		line, rerr := br.ReadSlice('\n')
		if rerr == bufio.ErrBufferFull {
			long = append(long[:0], line...)
			for rerr == bufio.ErrBufferFull {
				line, rerr = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if rerr != nil && rerr != io.EOF {
			return lineNo, fmt.Errorf("reading line %d: %w", lineNo+1, rerr)
		}
		if len(line) == 0 {
			break
		}
		lineNo++
		read += int64(len(line))
		if lineNo == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
		}
		if rec := bytes.TrimSpace(line); len(rec) > 0 {
			id, err := checkRecord(rec)
			if err != nil {
				// Write what came before the line, then stop.
				if ferr := l.finish(); ferr != nil {
					return lineNo, ferr
				}
				return lineNo, &lineError{line: lineNo, err: err, written: l.written.Load()}
			}
			if err := l.add(rec, id, lineNo); err != nil {
				return lineNo, err
			}
		}
		if lineNo&1023 == 0 {
			bar.records(lineNo)
			bar.set(read)
		}
		if rerr == io.EOF {
			break
		}
	}
	bar.records(lineNo)
	bar.set(read)
	return lineNo, l.finish()
}
