package aof_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/fleetdb-go/fleetdb/aof"
	"github.com/fleetdb-go/fleetdb/aof/aoftest"
)

// logPath is where tests on a FaultFS keep the log.
const logPath = "/db/log.aof"

// logCapture is a slog.Handler that keeps the records it is given, for assertions.
type logCapture struct {
	mu   sync.Mutex
	recs []logLine
}

type logLine struct {
	level slog.Level
	msg   string
	attrs map[string]any
}

func (c *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (c *logCapture) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *logCapture) WithGroup(string) slog.Handler            { return c }

func (c *logCapture) Handle(_ context.Context, r slog.Record) error {
	line := logLine{level: r.Level, msg: r.Message, attrs: map[string]any{}}
	r.Attrs(func(a slog.Attr) bool {
		line.attrs[a.Key] = a.Value.Any()
		return true
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs = append(c.recs, line)
	return nil
}

// lines returns the captured lines at the given level.
func (c *logCapture) lines(level slog.Level) []logLine {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []logLine
	for _, l := range c.recs {
		if l.level == level {
			out = append(out, l)
		}
	}
	return out
}

func (c *logCapture) logger() *slog.Logger { return slog.New(c) }

// openLog opens the log at path and returns it with copies of the replayed records.
func openLog(tb testing.TB, path string, opts aof.Options) (*aof.Log, [][]byte, error) {
	tb.Helper()
	var got [][]byte
	l, err := aof.Open(path, opts, func(rec []byte) error {
		got = append(got, bytes.Clone(rec))
		return nil
	})
	return l, got, err
}

// mustOpen is openLog that fails the test on an error and closes the log at cleanup.
func mustOpen(tb testing.TB, path string, opts aof.Options) (*aof.Log, [][]byte) {
	tb.Helper()
	l, got, err := openLog(tb, path, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { l.Close() })
	return l, got
}

// makeBatches returns n batches of printable records (never ending in a zero byte) of random
// counts and sizes.
func makeBatches(rng *rand.Rand, n, maxRecords, maxSize int) [][][]byte {
	batches := make([][][]byte, n)
	for b := range batches {
		recs := make([][]byte, 1+rng.IntN(maxRecords))
		for r := range recs {
			recs[r] = makeRecord(rng, fmt.Sprintf("b%d.r%d:", b, r), rng.IntN(maxSize+1))
		}
		batches[b] = recs
	}
	return batches
}

func makeRecord(rng *rand.Rand, prefix string, size int) []byte {
	rec := []byte(prefix)
	for len(rec) < size {
		rec = append(rec, byte('a'+rng.IntN(26)))
	}
	return rec
}

func flatten(batches [][][]byte) [][]byte {
	var out [][]byte
	for _, b := range batches {
		out = append(out, b...)
	}
	return out
}

// checkRecords fails the test unless got equals want.
func checkRecords(tb testing.TB, got, want [][]byte) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("replayed %d records, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			tb.Fatalf("record %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// buildLog appends the batches to a new log on a FaultFS and returns the file's bytes and the
// end offset of every batch (ends[0] is the end of the header).
func buildLog(tb testing.TB, batches [][][]byte) (data []byte, ends []int64) {
	tb.Helper()
	fsys := aoftest.New()
	l, _ := mustOpen(tb, logPath, aof.Options{FS: fsys})
	ends = []int64{l.Size()}
	for _, b := range batches {
		if err := l.Append(b); err != nil {
			tb.Fatalf("Append: %v", err)
		}
		ends = append(ends, l.Size())
	}
	if err := l.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
	data, err := fsys.ReadFile(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	return data, ends
}

// fsWith returns a FaultFS holding data at logPath.
func fsWith(data []byte) *aoftest.FaultFS {
	fsys := aoftest.New()
	fsys.WriteFile(logPath, data)
	return fsys
}

// kv is the logical state used by the rewrite tests: records are "key=value" and later
// records win.
type kv map[string]string

func (m kv) apply(rec []byte) {
	k, v, _ := strings.Cut(string(rec), "=")
	m[k] = v
}

func stateOf(recs [][]byte) kv {
	m := kv{}
	for _, r := range recs {
		m.apply(r)
	}
	return m
}

// crc32c returns the little-endian CRC-32C of b.
func crc32c(b []byte) []byte {
	return binary.LittleEndian.AppendUint32(nil, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
}

// appendThenCut appends batches to l, the last one's fsync failing half the time, until an
// Append fails (between, if not nil, runs after each acknowledged one), then cuts the power
// tearing whatever is unsynced. It returns the records a reopened log must hold: those of the
// acknowledged batches, or of all batches when got shows the torn last Append survived whole.
func appendThenCut(rng *rand.Rand, fsys *aoftest.FaultFS, l *aof.Log, batches [][][]byte, between func()) (want func(got [][]byte) [][]byte) {
	acked := 0
	for i, b := range batches {
		if i == len(batches)-1 && rng.IntN(2) == 0 {
			fsys.Inject(aoftest.Fault{Op: aoftest.OpSync, Path: logPath})
		}
		if err := l.Append(b); err != nil {
			break
		}
		acked++
		if between != nil {
			between()
		}
	}
	fsys.PowerCutTorn(rng)
	fsys.ClearFaults()
	return func(got [][]byte) [][]byte {
		if w := flatten(batches[:acked]); len(got) <= len(w) {
			return w
		}
		return flatten(batches)
	}
}
