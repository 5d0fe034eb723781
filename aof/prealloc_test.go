package aof_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/aof"
	"github.com/fleetdb-go/fleetdb/aof/aoftest"
)

// fileOf reads the log file of a FaultFS or of the OS.
func fileOf(t *testing.T, fsys *aoftest.FaultFS, path string) []byte {
	t.Helper()
	var data []byte
	var err error
	if fsys != nil {
		data, err = fsys.ReadFile(path)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// headerFlags returns the flags field of a log file's header.
func headerFlags(data []byte) uint16 { return binary.LittleEndian.Uint16(data[10:12]) }

// waitZeros waits until the log file holds zeros written ahead of the log's end.
func waitZeros(t *testing.T, l *aof.Log, fsys *aoftest.FaultFS) []byte {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		data := fileOf(t, fsys, l.Path())
		if int64(len(data)) > l.Size() {
			return data
		}
		if time.Now().After(deadline) {
			t.Fatalf("no zeros written ahead: file %d bytes, log %d", len(data), l.Size())
		}
		time.Sleep(time.Millisecond)
	}
}

// TestPreallocLifecycle: a preallocated log writes zeros ahead of its end and says so in its
// header; appends (one larger than the bound on unsynced bytes included) land in order; Close
// cuts the zeros and clears the flag, so the closed file is exactly a plain log's.
func TestPreallocLifecycle(t *testing.T) {
	for _, tc := range []struct {
		name string
		fsys *aoftest.FaultFS
		path string
	}{
		{"faultfs", aoftest.New(), logPath},
		{"os", nil, filepath.Join(t.TempDir(), "log.aof")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			opts := aof.Options{Preallocate: 64 << 10}
			if tc.fsys != nil {
				opts.FS = tc.fsys
			}
			l, _ := mustOpen(t, tc.path, opts)
			batches := makeBatches(rng, 200, 10, 300)
			batches = append(batches, [][]byte{bytes.Repeat([]byte("big"), 1<<20)}) // 3 MiB: written in pieces
			batches = append(batches, makeBatches(rng, 20, 10, 300)...)
			fsyncs := l.Stats().Fsyncs
			for _, b := range batches {
				if err := l.Append(b); err != nil {
					t.Fatal(err)
				}
			}
			// The 3-MiB batch (3 MiB and a frame header) goes in four pieces, each but the
			// last fsynced.
			if got := l.Stats().Fsyncs - fsyncs; got != int64(len(batches))+3 {
				t.Errorf("%d fsyncs for %d batches, want one each and three more for the 3-MiB batch's pieces", got, len(batches))
			}
			data := waitZeros(t, l, tc.fsys)
			if headerFlags(data) != 1 {
				t.Fatalf("header flags %#x while preallocating, want 1", headerFlags(data))
			}
			if !allZeroBytes(data[l.Size():]) {
				t.Fatal("bytes past the log's end are not all zero")
			}
			size := l.Size()
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			data = fileOf(t, tc.fsys, tc.path)
			if int64(len(data)) != size || headerFlags(data) != 0 {
				t.Fatalf("after Close: %d bytes (log %d), header flags %#x", len(data), size, headerFlags(data))
			}
			_, got := mustOpen(t, tc.path, aof.Options{FS: opts.FS})
			checkRecords(t, got, flatten(batches))
		})
	}
}

func allZeroBytes(b []byte) bool { return bytes.Count(b, []byte{0}) == len(b) }

// TestPreallocFlagFollowsOption: opening a log that a crash left preallocated without
// preallocation cuts the zeros (a torn tail) and clears the flag; opening a plain log with it
// sets the flag.
func TestPreallocFlagFollowsOption(t *testing.T) {
	fsys := aoftest.New()
	l, _ := mustOpen(t, logPath, aof.Options{FS: fsys, Preallocate: 64 << 10})
	batches := makeBatches(rand.New(rand.NewPCG(5, 6)), 30, 5, 200)
	for _, b := range batches {
		if err := l.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	waitZeros(t, l, fsys)
	fsys.PowerCut() // as a crash leaves it: zeros ahead, the flag set
	if rep, err := aof.Check(logPath, fsys); err != nil || rep.TornReason != aof.ReasonWrittenAhead || rep.TornBytes == 0 || rep.Corruption != nil {
		t.Fatalf("Check after the crash: %+v, %v", rep, err)
	}
	logs := &logCapture{}
	l2, got := mustOpen(t, logPath, aof.Options{FS: fsys, Logger: logs.logger()})
	checkRecords(t, got, flatten(batches))
	data := fileOf(t, fsys, logPath)
	if headerFlags(data) != 0 || int64(len(data)) != l2.Size() {
		t.Fatalf("reopened without preallocation: flags %#x, %d bytes for a log of %d", headerFlags(data), len(data), l2.Size())
	}
	// The zeros are what any crash of a preallocating log leaves: said at info level, not
	// as a warning of a torn append.
	if w := logs.lines(slog.LevelWarn); len(w) != 0 {
		t.Fatalf("warnings %+v, want none for the zeros written ahead", w)
	}
	if i := logs.lines(slog.LevelInfo); len(i) != 1 || !strings.Contains(i[0].msg, "zeros written ahead") {
		t.Fatalf("info lines %+v, want the zeros cut", i)
	}
	l2.Close()
	l3, _ := mustOpen(t, logPath, aof.Options{FS: fsys, Preallocate: 64 << 10})
	if f := headerFlags(fileOf(t, fsys, logPath)); f != 1 {
		t.Fatalf("opened with preallocation: header flags %#x", f)
	}
	l3.Close()
}

// preallocLog returns a closed log's bytes with the preallocation flag set (and the header's
// checksum fixed), as a crash leaves it.
func withPreallocFlag(data []byte) []byte {
	out := bytes.Clone(data)
	binary.LittleEndian.PutUint16(out[10:], 1)
	copy(out[12:16], crc32c(out[:12]))
	return out
}

// TestPreallocTornAppend: in a preallocated log, a last append whose pages reached the disk
// out of order (a zeroed sector, then more of its bytes, then zeros) is a torn tail; the same
// bytes in a plain log are corruption, and so is damage followed by bytes beyond the bound on
// an append's unsynced bytes.
func TestPreallocTornAppend(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	batches := makeBatches(rng, 10, 3, 200)
	last := [][]byte{}
	for i := range 8 {
		last = append(last, makeRecord(rng, fmt.Sprintf("last%d:", i), 400))
	}
	batches = append(batches, last)
	full, ends := buildLog(t, batches)
	start := ends[len(ends)-2]
	hole := (start/512 + 2) * 512 // a sector inside the last batch
	if hole+512 >= int64(len(full)) {
		t.Fatal("last batch too short for the test")
	}
	torn := bytes.Clone(full)
	clear(torn[hole : hole+512])
	torn = append(torn, make([]byte, 8192)...) // zeros written ahead

	logs := &logCapture{}
	l, got := mustOpen(t, logPath, aof.Options{FS: fsWith(withPreallocFlag(torn)), Logger: logs.logger()})
	checkRecords(t, got, flatten(batches[:len(batches)-1]))
	if l.Size() != start {
		t.Fatalf("size %d after cutting the torn append, want %d", l.Size(), start)
	}
	if w := logs.lines(slog.LevelWarn); len(w) != 1 || w[0].attrs["reason"] != "torn append in the preallocated tail" {
		t.Fatalf("warnings %+v", w)
	}

	// The same bytes without the flag: the log was never written ahead, so data after the
	// zeroed sector cannot be a torn append.
	_, _, err := openLog(t, logPath, aof.Options{FS: fsWith(torn)})
	var ce *aof.CorruptError
	if !errors.As(err, &ce) || ce.BatchOffset != start {
		t.Fatalf("plain log with a zeroed sector: %v", err)
	}

	// Non-zero bytes past the bound: not one append's, so corruption.
	far := withPreallocFlag(torn)
	far = append(far, make([]byte, 1<<20)...)
	far[len(far)-1] = 'x'
	fsys := fsWith(far)
	if _, _, err := openLog(t, logPath, aof.Options{FS: fsys}); !errors.As(err, &ce) {
		t.Fatalf("damage followed by bytes 1 MiB on: %v", err)
	}
	if data := fileOf(t, fsys, logPath); !bytes.Equal(data, far) {
		t.Fatal("a refused log was changed")
	}
}

// TestPowerCutPreallocated: every acknowledged batch survives a power cut that writes back
// any subset of the last append's sectors over the zeros written ahead, and the log opens.
func TestPowerCutPreallocated(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 9))
	reasons := map[any]int{}
	for round := range 200 {
		fsys := aoftest.New()
		l, _ := mustOpen(t, logPath, aof.Options{FS: fsys, Preallocate: 4096})
		batches := makeBatches(rng, 1+rng.IntN(30), 8, 600)
		want := appendThenCut(rng, fsys, l, batches, func() {
			if rng.IntN(4) == 0 {
				time.Sleep(50 * time.Microsecond) // let a round of zeros run now and then
			}
		})
		logs := &logCapture{}
		_, got, err := openLog(t, logPath, aof.Options{FS: fsys, Preallocate: 4096, Logger: logs.logger()})
		if err != nil {
			t.Fatalf("round %d: open after the power cut: %v", round, err)
		}
		for _, w := range logs.lines(slog.LevelWarn) {
			reasons[w.attrs["reason"]]++
		}
		checkRecords(t, got, want(got))
	}
	t.Logf("torn tails cut: %v", reasons)
	if reasons["torn append in the preallocated tail"] == 0 {
		t.Fatal("no power cut left an append torn out of order: the test does not test it")
	}
}

// TestPreallocRewrite: a rewrite's new file is preallocated too, and the log holds the right
// records after it.
func TestPreallocRewrite(t *testing.T) {
	fsys := aoftest.New()
	opts := aof.Options{FS: fsys, Preallocate: 16 << 10}
	l, _ := mustOpen(t, logPath, opts)
	for i := range 500 {
		if err := l.Append([][]byte{fmt.Appendf(nil, "k%d=v%d", i%50, i)}); err != nil {
			t.Fatal(err)
		}
	}
	rw, err := l.BeginRewrite()
	if err != nil {
		t.Fatal(err)
	}
	for i := 450; i < 500; i++ {
		if err := rw.Write(fmt.Appendf(nil, "k%d=v%d", i%50, i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := rw.EndSnapshot(); err != nil {
		t.Fatal(err)
	}
	if err := l.Append([][]byte{[]byte("k1=during")}); err != nil {
		t.Fatal(err)
	}
	if err := rw.Commit(); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		if err := l.Append([][]byte{fmt.Appendf(nil, "k%d=after%d", i%7, i)}); err != nil {
			t.Fatal(err)
		}
	}
	if f := headerFlags(waitZeros(t, l, fsys)); f != 1 {
		t.Fatalf("rewritten log's header flags %#x", f)
	}
	want := kv{}
	for i := 450; i < 500; i++ {
		want[fmt.Sprintf("k%d", i%50)] = fmt.Sprintf("v%d", i)
	}
	want["k1"] = "during"
	for i := range 300 {
		want[fmt.Sprintf("k%d", i%7)] = fmt.Sprintf("after%d", i)
	}
	fsys.PowerCut()
	_, got := mustOpen(t, logPath, opts)
	if s := stateOf(got); fmt.Sprint(s) != fmt.Sprint(want) {
		t.Fatalf("state after the rewrite and a crash:\n%v\nwant\n%v", s, want)
	}
}

// TestPreallocFailures: a failed write of zeros stops preallocation and the log goes on; a
// failed fsync of them fails the log (it may have been the appended data's write-back).
func TestPreallocFailures(t *testing.T) {
	t.Run("write", func(t *testing.T) {
		fsys := aoftest.New()
		logs := &logCapture{}
		// A new log writes its header (write 1); the first round of zeros (run by Open) is
		// write 2.
		fsys.Inject(aoftest.Fault{Op: aoftest.OpWrite, Path: logPath, Skip: 1, Err: syscall.ENOSPC})
		l, _ := mustOpen(t, logPath, aof.Options{FS: fsys, Preallocate: 64 << 10, Logger: logs.logger()})
		deadline := time.Now().Add(10 * time.Second)
		for len(logs.lines(slog.LevelWarn)) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("no warning about the failed preallocation")
			}
			time.Sleep(time.Millisecond)
		}
		if w := logs.lines(slog.LevelWarn)[0]; !strings.Contains(w.msg, "preallocation stopped") {
			t.Fatalf("warning %+v", w)
		}
		batches := makeBatches(rand.New(rand.NewPCG(1, 1)), 20, 5, 100)
		for _, b := range batches {
			if err := l.Append(b); err != nil {
				t.Fatalf("Append after a failed preallocation: %v", err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		_, got := mustOpen(t, logPath, aof.Options{FS: fsys})
		checkRecords(t, got, flatten(batches))
	})
	t.Run("fsync at open", func(t *testing.T) {
		fsys := aoftest.New()
		// A new log fsyncs its header (fsync 1); the first round of zeros, which Open runs
		// itself, is fsync 2: Open fails.
		fsys.Inject(aoftest.Fault{Op: aoftest.OpSync, Path: logPath, Skip: 1})
		if _, _, err := openLog(t, logPath, aof.Options{FS: fsys, Preallocate: 64 << 10}); !errors.Is(err, aof.ErrFailed) || !errors.Is(err, syscall.EIO) {
			t.Fatalf("Open with a failing fsync of the zeros: %v", err)
		}
	})
	t.Run("fsync", func(t *testing.T) {
		fsys := aoftest.New()
		l, _ := mustOpen(t, logPath, aof.Options{FS: fsys, Preallocate: 64 << 10})
		// The append's own fsync succeeds; the round of zeros it then asks for (more than
		// half a round is used) fails.
		fsys.Inject(aoftest.Fault{Op: aoftest.OpSync, Path: logPath, Skip: 1})
		if err := l.Append([][]byte{bytes.Repeat([]byte("y"), 40<<10)}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for l.Err() == nil {
			if time.Now().After(deadline) {
				t.Fatal("a failed fsync of the zeros did not fail the log")
			}
			time.Sleep(time.Millisecond)
		}
		err := l.Append([][]byte{[]byte("x")})
		if !errors.Is(err, aof.ErrFailed) || !errors.Is(err, syscall.EIO) {
			t.Fatalf("Append after the failure: %v", err)
		}
	})
}
