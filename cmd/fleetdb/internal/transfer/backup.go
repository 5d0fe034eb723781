package transfer

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
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

// NewBackupCmd builds `fleetdb backup`.
func NewBackupCmd(stdout, stderr io.Writer) *cobra.Command {
	var f cliutil.AdminFlags
	cmd := &cobra.Command{
		Use:   "backup FILE|-",
		Short: "Write a consistent snapshot of every collection and index to a file",
		Long: `Write every collection of the server, with its index specs and its records, to
FILE (or stdout for "-") as JSON lines; restore loads it back. FILE is written
under a temporary name and renamed once complete.

The backup is consistent: everything in it comes from one pinned snapshot of
the database (["snapshot-open"], docs/changefeeds.md), so writes that go on meanwhile are
either wholly in it or not at all. The records are read through the pin in
pages of about 512 KiB, each page the records after the last id read, which the
server serves from its record map at the cost of the page; so memory stays
bounded here and on the server whatever the size of the database.`,
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

func runBackup(ctx context.Context, cf *cliutil.ConnFlags, file string, stdout, stderr io.Writer) (backupReport, error) {
	rep := backupReport{File: file}
	rc, err := cf.DialStream(ctx)
	if err != nil {
		return rep, err
	}
	defer rc.Close()
	start := time.Now()
	p, err := openPinned(rc)
	if err != nil {
		return rep, cliutil.WrapServer("backup: snapshot-open", rc.Addr(), err)
	}
	b := &backup{p: p}
	if err := b.meta(); err != nil {
		return rep, cliutil.WrapServer("backup", rc.Addr(), err)
	}
	out := stdout
	var af *atomicFile
	if file != "-" {
		if af, err = createAtomic(file); err != nil {
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
	if err == nil {
		err = p.close()
	}
	if err == nil && af != nil {
		err = af.commit()
	}
	if err != nil {
		return rep, cliutil.WrapServer("backup", rc.Addr(), err)
	}
	rep.Collections, rep.Records, rep.Bytes = len(b.names), b.total, cw.n
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// backup writes the backup file from a pinned snapshot.
type backup struct {
	p   *pinned
	w   *bufio.Writer
	bar *progress

	names  []string
	specs  [][]json.RawMessage // per collection
	counts []int64
	total  int64
	sizes  pageSizer
}

// meta reads the collections, their index specs and their counts.
func (b *backup) meta() error {
	v, err := b.p.query(`["list-collections"]`)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(v, &b.names); err != nil {
		return fmt.Errorf("list-collections answered %.64s", v)
	}
	q := `["multi-read",[`
	for i, n := range b.names {
		if i > 0 {
			q += ","
		}
		q += `["list-indexes",` + jsonString(n) + `],["count",` + jsonString(n) + `]`
	}
	q += "]]"
	if v, err = b.p.query(q); err != nil {
		return err
	}
	var all []json.RawMessage
	if err := json.Unmarshal(v, &all); err != nil || len(all) != 2*len(b.names) {
		return fmt.Errorf("multi-read answered %.64s", v)
	}
	b.specs = make([][]json.RawMessage, len(b.names))
	b.counts = make([]int64, len(b.names))
	for i := range b.names {
		if err := json.Unmarshal(all[2*i], &b.specs[i]); err != nil {
			return fmt.Errorf("list-indexes answered %.64s", all[2*i])
		}
		if b.specs[i] == nil {
			b.specs[i] = []json.RawMessage{}
		}
		if b.counts[i], err = strconv.ParseInt(string(all[2*i+1]), 10, 64); err != nil {
			return fmt.Errorf("count answered %.64s", all[2*i+1])
		}
		b.total += b.counts[i]
	}
	return nil
}

// write writes the file: header, then each collection read in pages.
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
	var done int64
	for i, name := range b.names {
		meta, _ := json.Marshal(backupColl{Indexes: b.specs[i], Records: b.counts[i]})
		fmt.Fprintf(b.w, `["collection",%s,%s]`+"\n", jsonString(name), meta)
		g := &pager{p: b.p, coll: jsonString(name), page: b.sizes.next}
		n, err := g.each(func(rec []byte) error {
			b.sizes.add(len(rec))
			b.w.Write(rec)
			if err := b.w.WriteByte('\n'); err != nil {
				return err
			}
			if b.sizes.n&4095 == 0 {
				b.bar.set(done + b.sizes.n)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if n != b.counts[i] {
			return fmt.Errorf("collection %q: the snapshot counted %d records and the pages brought %d", name, b.counts[i], n)
		}
		done += n
	}
	fmt.Fprintf(b.w, `["end",{"collections":%d,"records":%d}]`+"\n", len(b.names), b.total)
	return nil
}

// pageSizer sizes pages so that each is about pageBytesGoal of JSON.
type pageSizer struct {
	n, bytes int64
}

func (s *pageSizer) add(size int) { s.n++; s.bytes += int64(size) }

func (s *pageSizer) next() int {
	if s.n == 0 {
		return firstPage
	}
	avg := max(s.bytes/s.n, 1)
	return int(min(max(pageBytesGoal/avg, minPage), maxPage))
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
