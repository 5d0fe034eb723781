package transfer

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"

	"github.com/fleetdb-go/fleetdb/query"
	"github.com/spf13/cobra"
)

// The backup file: JSON lines. A header object, then for each collection a
// ["collection", name, {...}] line followed by its records, one per line,
// in id order, then an ["end", {...}] line, whose absence shows a truncated
// file. Records are objects and the other lines arrays, so they cannot be
// mistaken for one another.
//
//	{"fleetdb-backup":1,"fleetdb-version":"0.1.0","created":"2026-01-02T03:04:05Z","collections":2,"records":3}
//	["collection","people",{"indexes":["age",["city",["age","desc"]]],"records":2}]
//	{"id":1,"name":"Ann","age":31,"city":"Paris"}
//	{"id":2,"name":"Bob","age":27,"city":"Oslo"}
//	["collection","tags",{"indexes":[],"records":1}]
//	{"id":"go"}
//	["end",{"collections":2,"records":3}]
const backupFormat = 1

// backupHeader is the first line of a backup file.
type backupHeader struct {
	Format      int    `json:"fleetdb-backup"`
	Version     string `json:"fleetdb-version"`
	Created     string `json:"created"`
	Collections int    `json:"collections"`
	Records     int64  `json:"records"`
}

// backupColl is what a ["collection", name, {...}] line says.
type backupColl struct {
	Indexes []json.RawMessage `json:"indexes"`
	Records int64             `json:"records"`
}

// backupReport is backup's summary (the JSON of --json).
type backupReport struct {
	File        string  `json:"file"`
	Collections int     `json:"collections"`
	Records     int64   `json:"records"`
	Bytes       int64   `json:"bytes"`
	Seconds     float64 `json:"seconds"`
}

func NewBackupCmd(stdout, stderr io.Writer) *cobra.Command {
	var f cliutil.AdminFlags
	cmd := &cobra.Command{
		Use:   "backup FILE|-",
		Short: "Write a consistent snapshot of every collection and index to a file",
		Long: `Write every collection of the server, with its index specs and its records, to
FILE (or stdout for "-") as JSON lines; restore loads it back. FILE is written
under a temporary name and renamed once complete.

The backup is consistent: everything in it comes from one snapshot of the
database, taken by a single multi-read (the collections, their indexes, their
counts and their records), so writes that go on meanwhile are either wholly in
it or not at all. The answer is read piece by piece as it arrives, so memory
here stays small whatever the size of the database; the server, though, builds
that one answer in memory (about the size of the data as JSON) before sending
it, because the protocol has no way to read one snapshot in several requests.
The README says what the server could offer for that.`,
		Example: `  fleetdb backup nightly.fdbk
  fleetdb backup - --host db1 | gzip > db1.fdbk.gz
  fleetdb backup nightly.fdbk --json    # {"file":"nightly.fdbk","collections":3,"records":120000,...}`,
		Args: cliutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := runBackup(cmd.Context(), &f.Conn, args[0], stdout, stderr)
			if err != nil {
				return err
			}
			sumTo := stdout
			if args[0] == "-" {
				sumTo = stderr
			}
			o := cliutil.NewOutput(sumTo, f.AsJSON)
			if o.JSON {
				return o.Emit(rep)
			}
			return o.Say("backed up %s with %s to %s (%s bytes, %s)", cliutil.Plural(rep.Collections, "collection", "collections"),
				cliutil.Plural64(rep.Records, "record", "records"), rep.File, cliutil.Thousands(rep.Bytes), rate(rep.Records, time.Duration(rep.Seconds*float64(time.Second)), "records"))
		},
	}
	f.Register(cmd)
	return cmd
}

// backupAttempts bounds how often backup asks again when the collections
// changed between learning their names and the snapshot.
const backupAttempts = 5

func runBackup(ctx context.Context, cf *cliutil.ConnFlags, file string, stdout, stderr io.Writer) (backupReport, error) {
	rep := backupReport{File: file}
	rc, err := dialRaw(ctx, cf)
	if err != nil {
		return rep, err
	}
	defer rc.Close()
	start := time.Now()
	v, err := rc.query([]byte(`["list-collections"]`))
	if err != nil {
		return rep, cliutil.WrapServer("backup: list-collections", rc.addr, err)
	}
	var names []string
	if err := json.Unmarshal(v, &names); err != nil {
		return rep, fmt.Errorf("backup: list-collections answered %.64s", v)
	}
	for attempt := 1; ; attempt++ {
		b := &backup{rc: rc, names: names}
		err := b.snapshot()
		if err != nil {
			return rep, cliutil.WrapServer("backup", rc.addr, err)
		}
		if !slices.Equal(b.now, names) {
			// A collection came or went since the names were learned:
			// its records are not in this snapshot. Skip it, ask again.
			if err := b.skipRest(); err != nil {
				return rep, cliutil.WrapServer("backup", rc.addr, err)
			}
			if attempt == backupAttempts {
				return rep, fmt.Errorf("backup: the collections kept changing during %d attempts; try again", attempt)
			}
			names = b.now
			continue
		}
		out := stdout
		var af *atomicFile
		if file != "-" {
			if af, err = createAtomic(file); err != nil {
				b.skipRest()
				return rep, err
			}
			defer af.abort()
			out = af
		}
		cw := &countingWriter{w: out}
		b.w = bufio.NewWriterSize(cw, 1<<20)
		b.bar = newProgress(stderr, b.total, "backing up", "records")
		err = b.write()
		b.bar.done()
		if err == nil {
			err = b.w.Flush()
		}
		if err == nil && af != nil {
			err = af.commit()
		}
		if err != nil {
			return rep, cliutil.WrapServer("backup", rc.addr, err)
		}
		rep.Collections, rep.Records, rep.Bytes = len(names), b.total, cw.n
		rep.Seconds = time.Since(start).Seconds()
		return rep, nil
	}
}

// backup reads one multi-read answer: [names, indexes..., counts...,
// records...], and writes the backup file from it.
type backup struct {
	rc    *rawConn
	names []string // the names asked for
	w     *bufio.Writer
	bar   *progress

	now    []string            // the names in the snapshot
	specs  [][]json.RawMessage // per collection
	counts []int64
	total  int64
	first  bool // scanner state in the outer array
}

// snapshot sends the multi-read and reads its answer up to the records.
func (b *backup) snapshot() error {
	q := []byte(`["multi-read",[["list-collections"]`)
	for _, op := range []string{"list-indexes", "count", "select"} {
		for _, n := range b.names {
			q = append(q, `,["`+op+`",`+jsonString(n)+`]`...)
		}
	}
	q = append(q, "]]"...)
	if err := b.rc.send(q); err != nil {
		return err
	}
	if err := b.rc.flush(); err != nil {
		return err
	}
	if err := b.rc.begin(); err != nil {
		return err
	}
	sc := b.rc.sc
	if err := sc.expect('['); err != nil {
		return b.rc.ioErr(err)
	}
	b.first = true
	val := func() ([]byte, error) {
		if more, err := sc.next(&b.first); err != nil || !more {
			return nil, b.rc.ioErr(fmt.Errorf("%w: the multi-read answer is short: %v", errBadJSON, err))
		}
		v, err := sc.value(nil)
		return v, b.rc.ioErr(err)
	}
	v, err := val()
	if err != nil {
		return err
	}
	if err := json.Unmarshal(v, &b.now); err != nil {
		return fmt.Errorf("list-collections answered %.64s", v)
	}
	if b.now == nil {
		b.now = []string{}
	}
	if !slices.Equal(b.now, b.names) {
		return nil
	}
	b.specs = make([][]json.RawMessage, len(b.names))
	for i := range b.names {
		if v, err = val(); err != nil {
			return err
		}
		if err := json.Unmarshal(v, &b.specs[i]); err != nil {
			return fmt.Errorf("list-indexes answered %.64s", v)
		}
		if b.specs[i] == nil {
			b.specs[i] = []json.RawMessage{}
		}
	}
	b.counts = make([]int64, len(b.names))
	for i := range b.names {
		if v, err = val(); err != nil {
			return err
		}
		if b.counts[i], err = strconv.ParseInt(string(v), 10, 64); err != nil {
			return fmt.Errorf("count answered %.64s", v)
		}
		b.total += b.counts[i]
	}
	return nil
}

// skipRest reads the rest of the answer without keeping it.
func (b *backup) skipRest() error {
	sc := b.rc.sc
	for {
		more, err := sc.next(&b.first)
		if err != nil {
			return b.rc.ioErr(err)
		}
		if !more {
			return b.rc.end()
		}
		if err := sc.skip(); err != nil {
			return b.rc.ioErr(err)
		}
	}
}

// write writes the file: header, then each collection from its select.
func (b *backup) write() error {
	hdr, _ := json.Marshal(backupHeader{
		Format:      backupFormat,
		Version:     query.Version,
		Created:     time.Now().UTC().Format(time.RFC3339),
		Collections: len(b.names),
		Records:     b.total,
	})
	b.w.Write(hdr)
	b.w.WriteByte('\n')
	sc := b.rc.sc
	var rec []byte
	var done int64
	for i, name := range b.names {
		meta, _ := json.Marshal(backupColl{Indexes: b.specs[i], Records: b.counts[i]})
		fmt.Fprintf(b.w, `["collection",%s,%s]`+"\n", jsonString(name), meta)
		if more, err := sc.next(&b.first); err != nil || !more {
			return b.rc.ioErr(fmt.Errorf("%w: the multi-read answer is short: %v", errBadJSON, err))
		}
		if err := sc.expect('['); err != nil {
			return b.rc.ioErr(err)
		}
		first := true
		var n int64
		for {
			more, err := sc.next(&first)
			if err != nil {
				return b.rc.ioErr(err)
			}
			if !more {
				break
			}
			if rec, err = sc.value(rec[:0]); err != nil {
				return b.rc.ioErr(err)
			}
			b.w.Write(rec)
			if err := b.w.WriteByte('\n'); err != nil {
				return err
			}
			if n++; n&4095 == 0 {
				b.bar.set(done + n)
			}
		}
		if n != b.counts[i] {
			return fmt.Errorf("collection %q: the snapshot counted %d records and selected %d", name, b.counts[i], n)
		}
		done += n
	}
	if more, err := sc.next(&b.first); err != nil || more {
		return b.rc.ioErr(fmt.Errorf("%w: the multi-read answer is longer than asked: %v", errBadJSON, err))
	}
	if err := b.rc.end(); err != nil {
		return err
	}
	fmt.Fprintf(b.w, `["end",{"collections":%d,"records":%d}]`+"\n", len(b.names), b.total)
	return nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
