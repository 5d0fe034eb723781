package transfer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/spf13/cobra"
)

// restoreConfig is what `fleetdb restore` is told by its flags.
type restoreConfig struct {
	cliutil.AdminFlags
	force  bool
	batch  int
	window int
}

// NewRestoreCmd builds `fleetdb restore`.
func NewRestoreCmd(stdout, stderr io.Writer) *cobra.Command {
	var cfg restoreConfig
	cmd := &cobra.Command{
		Use:   "restore FILE|-",
		Short: "Load a backup into an empty server",
		Long: `Load a file written by backup (or stdin for "-"): every collection with its
records and its indexes. The server must be empty: restore refuses one that
holds any collection, unless --force, with which each collection of the backup
is dropped before it is loaded (so it ends up as in the backup), and the
server's other collections are left alone.

A file is checked to end with its "end" line before anything is loaded, so a
truncated backup is refused up front (from stdin that is found out only at the
end). The records are inserted in pipelined batches, as import does; the
indexes are created once their collection is loaded.`,
		Example: `  fleetdb restore nightly.fdbk
  fleetdb restore nightly.fdbk --host new-server --force
  gunzip -c db1.fdbk.gz | fleetdb restore -`,
		Args: cliutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.batch < 1 || cfg.window < 1 {
				return cliutil.Usagef(errors.New("--batch and --window must be at least 1"))
			}
			return runRestore(cmd.Context(), cfg, args[0], cmd.InOrStdin(), stdout, stderr)
		},
	}
	cfg.Register(cmd)
	f := cmd.Flags()
	f.BoolVar(&cfg.force, "force", false, "restore into a server that is not empty, replacing the backup's collections")
	f.IntVar(&cfg.batch, "batch", 1000, "records per insert query")
	f.IntVar(&cfg.window, "window", 8, "batches in flight at once")
	return cmd
}

// restoreReport is restore's summary (the JSON of --json).
type restoreReport struct {
	File        string  `json:"file"`
	Collections int     `json:"collections"`
	Records     int64   `json:"records"`
	Indexes     int     `json:"indexes"`
	Seconds     float64 `json:"seconds"`
}

func runRestore(ctx context.Context, cfg restoreConfig, file string, stdin io.Reader, stdout, stderr io.Writer) error {
	in, size := stdin, int64(-1)
	var f *os.File
	if file != "-" {
		var err error
		if f, err = os.Open(file); err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	// The header first: a file that is not a backup at all (JSON lines of
	// records, say) is named as such, not as a truncated backup.
	br := bufio.NewReaderSize(in, 1<<20)
	line, err := br.ReadSlice('\n')
	var hdr backupHeader
	if (err != nil && err != io.EOF) || json.Unmarshal(bytes.TrimSpace(line), &hdr) != nil || hdr.Format == 0 {
		return fmt.Errorf("%s: not a FleetDB backup (its first line is not a backup header); to load JSON lines of records into a collection, use fleetdb import COLL FILE", file)
	}
	if hdr.Format != backupFormat {
		return fmt.Errorf("%s: backup format %d; this fleetdb reads format %d", file, hdr.Format, backupFormat)
	}
	if f != nil {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
			if err := checkBackupEnd(f, size); err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
		}
	}

	rc, err := cfg.Conn.DialStream(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	v, err := rc.Query([]byte(`["list-collections"]`))
	if err != nil {
		return cliutil.WrapServer("restore: list-collections", rc.Addr(), err)
	}
	var existing []string
	if err := json.Unmarshal(v, &existing); err != nil {
		return fmt.Errorf("restore: list-collections answered %.64s", v)
	}
	if len(existing) > 0 && !cfg.force {
		shown := existing
		if len(shown) > 5 {
			shown = append(shown[:5:5], "…")
		}
		return fmt.Errorf("restore: the server at %s is not empty (%s: %s); restore into an empty server, or use --force to replace the backup's collections",
			rc.Addr(), cliutil.Plural(len(existing), "collection", "collections"), strings.Join(shown, ", "))
	}

	start := time.Now()
	r := &restorer{rc: rc, cfg: cfg, br: br, line: 1, force: cfg.force}
	r.bar = newProgress(stderr, hdr.Records, "restoring", "records")
	err = r.run()
	r.bar.done()
	if err != nil {
		return cliutil.WrapServer("restore", rc.Addr(), err)
	}
	if r.colls != hdr.Collections || r.records != hdr.Records {
		return fmt.Errorf("restore: the header announced %d collections and %d records, the file held %d and %d",
			hdr.Collections, hdr.Records, r.colls, r.records)
	}
	rep := restoreReport{File: file, Collections: r.colls, Records: r.records, Indexes: r.indexes, Seconds: time.Since(start).Seconds()}
	o := cliutil.NewOutput(stdout, cfg.AsJSON)
	if o.JSON {
		return o.Emit(rep)
	}
	return o.Say("restored %s with %s and %s from %s (%s)", cliutil.Plural(rep.Collections, "collection", "collections"),
		cliutil.Plural64(rep.Records, "record", "records"), cliutil.Plural(rep.Indexes, "index", "indexes"), file, rate(rep.Records, time.Since(start), "records"))
}

// checkBackupEnd checks that a backup file ends with its "end" line.
func checkBackupEnd(f *os.File, size int64) error {
	const tail = 4096
	off := max(size-tail, 0)
	buf := make([]byte, size-off)
	if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
		return err
	}
	buf = bytes.TrimRight(buf, "\r\n \t")
	last := buf[bytes.LastIndexByte(buf, '\n')+1:]
	if !bytes.HasPrefix(last, []byte(`["end",`)) {
		return errors.New(`the backup is truncated (it does not end with its "end" line); nothing restored`)
	}
	return nil
}

// restorer reads the sections of a backup file and loads them.
type restorer struct {
	rc    *client.Stream
	cfg   restoreConfig
	br    *bufio.Reader
	line  int64
	force bool
	bar   *progress

	colls, indexes int
	records        int64
	long           []byte
}

// next returns the next non-blank line, or nil at the end of the input.
func (r *restorer) next() ([]byte, error) {
	for {
		line, err := r.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			r.long = append(r.long[:0], line...)
			for err == bufio.ErrBufferFull {
				line, err = r.br.ReadSlice('\n')
				r.long = append(r.long, line...)
			}
			line = r.long
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if len(line) == 0 {
			return nil, nil
		}
		r.line++
		if t := bytes.TrimSpace(line); len(t) > 0 {
			return t, nil
		}
	}
}

func (r *restorer) run() error {
	line, err := r.next()
	for {
		if err != nil {
			return err
		}
		if line == nil {
			return errors.New(`the backup is truncated (it does not end with its "end" line)`)
		}
		var head []json.RawMessage
		var kind string
		if json.Unmarshal(line, &head) != nil || len(head) < 2 || json.Unmarshal(head[0], &kind) != nil {
			return fmt.Errorf("line %d: want a [\"collection\", ...] or [\"end\", ...] line", r.line)
		}
		switch kind {
		case "end":
			return nil
		case "collection":
			var name string
			var meta backupColl
			if len(head) != 3 || json.Unmarshal(head[1], &name) != nil || json.Unmarshal(head[2], &meta) != nil {
				return fmt.Errorf("line %d: a collection line must be [\"collection\", name, {...}]", r.line)
			}
			if line, err = r.collection(name, meta); err != nil {
				return err
			}
		default:
			return fmt.Errorf("line %d: unknown line %q", r.line, kind)
		}
	}
}

// collection loads one collection's records and indexes; it returns the
// line after them.
func (r *restorer) collection(name string, meta backupColl) ([]byte, error) {
	if r.force {
		if _, err := r.rc.Query([]byte(`["drop-collection",` + jsonString(name) + `]`)); err != nil {
			return nil, fmt.Errorf("dropping %q: %w", name, err)
		}
	}
	l := newLoader(r.rc, name, false, r.cfg.batch, 4<<20, r.cfg.window)
	defer l.abort()
	var n int64
	var line []byte
	var err error
	for {
		if line, err = r.next(); err != nil || line == nil || line[0] == '[' {
			break
		}
		id, cerr := checkRecord(line)
		if cerr != nil {
			// Write what came before the line (batches may still be in
			// flight), then stop, counting every record written so far.
			if err = l.finish(); err == nil {
				err = &lineError{line: r.line, err: cerr, written: r.records + l.written.Load()}
			}
			break
		}
		if err = l.add(line, id, r.line); err != nil {
			break
		}
		if n++; n&4095 == 0 {
			r.bar.set(r.records + n)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("collection %q: %w", name, err)
	}
	if err := l.finish(); err != nil {
		return nil, fmt.Errorf("collection %q: %w", name, err)
	}
	if n != meta.Records {
		return nil, fmt.Errorf("collection %q: the backup announced %d records and held %d", name, meta.Records, n)
	}
	for _, spec := range meta.Indexes {
		if _, err := r.rc.Query([]byte(`["create-index",` + jsonString(name) + `,` + string(cliutil.CompactJSON(spec)) + `]`)); err != nil {
			return nil, fmt.Errorf("collection %q: creating index %s: %w", name, spec, err)
		}
		r.indexes++
	}
	r.colls++
	r.records += n
	r.bar.set(r.records)
	return line, nil
}
