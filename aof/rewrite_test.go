package aof_test

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"

	"github.com/fleetdb-go/fleetdb/aof"
	"github.com/fleetdb-go/fleetdb/aof/aoftest"
)

const rewriteTemp = logPath + ".rewrite"

// snapshotOf returns the records of a snapshot of the state, in key order.
func snapshotOf(m kv) [][]byte {
	var recs [][]byte
	for _, k := range slices.Sorted(maps.Keys(m)) {
		recs = append(recs, []byte(k+"="+m[k]))
	}
	return recs
}

// kvBatch returns a batch of n random key=value writes.
func kvBatch(rng *rand.Rand, n int, tag string) [][]byte {
	b := make([][]byte, n)
	for i := range b {
		b[i] = fmt.Appendf(nil, "k%d=%s.%d.%s", rng.IntN(50), tag, i, makeRecord(rng, "", rng.IntN(200)))
	}
	return b
}

// appendKV appends batches to l and applies them to the model.
func appendKV(t *testing.T, l *aof.Log, model kv, batches ...[][]byte) {
	t.Helper()
	for _, b := range batches {
		if err := l.Append(b); err != nil {
			t.Fatal(err)
		}
		for _, r := range b {
			model.apply(r)
		}
	}
}

// TestRewriteConcurrent appends on the writer goroutine while the compactor writes the
// snapshot and commits. After Commit the log replays the snapshot, then exactly the batches
// appended since BeginRewrite, in order.
func TestRewriteConcurrent(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 8))
	for _, policy := range []aof.SyncPolicy{aof.SyncAlways, aof.SyncEverySec, aof.SyncNever} {
		fsys := aoftest.New()
		l, _ := mustOpen(t, logPath, aof.Options{FS: fsys, Sync: policy})
		model := kv{}
		for i := range 100 {
			appendKV(t, l, model, kvBatch(rng, 1+rng.IntN(10), fmt.Sprint("pre", i)))
		}
		rw, err := l.BeginRewrite()
		if err != nil {
			t.Fatal(err)
		}
		if !l.Rewriting() {
			t.Fatal("Rewriting() = false during a rewrite")
		}
		if _, err := l.BeginRewrite(); !errors.Is(err, aof.ErrRewriteInProgress) {
			t.Fatalf("second BeginRewrite = %v", err)
		}
		snap := snapshotOf(model)
		var tail [][]byte
		// Enough tail before Commit that it copies part of it without the append lock.
		for i := range 800 {
			b := kvBatch(rng, 1+rng.IntN(10), fmt.Sprint("mid", i))
			appendKV(t, l, model, b)
			tail = append(tail, b...)
		}

		var wg sync.WaitGroup
		done := make(chan error, 1)
		wg.Add(1)
		go func() { // the compactor
			defer wg.Done()
			for _, rec := range snap {
				if err := rw.Write(rec); err != nil {
					done <- err
					return
				}
			}
			if err := rw.EndSnapshot(); err != nil {
				done <- err
				return
			}
			done <- rw.Commit()
		}()
		var commitErr error
		for i := 0; ; i++ { // the writer keeps appending during the rewrite
			b := kvBatch(rng, 1+rng.IntN(10), fmt.Sprint("during", i))
			appendKV(t, l, model, b)
			tail = append(tail, b...)
			select {
			case commitErr = <-done:
			default:
				continue
			}
			break
		}
		wg.Wait()
		if commitErr != nil {
			t.Fatalf("Commit: %v", commitErr)
		}
		if l.Rewriting() || fsys.Exists(rewriteTemp) {
			t.Fatal("rewrite still visible after Commit")
		}
		for i := range 20 { // and after it, into the new file
			b := kvBatch(rng, 1+rng.IntN(10), fmt.Sprint("post", i))
			appendKV(t, l, model, b)
			tail = append(tail, b...)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		_, got := mustOpen(t, logPath, aof.Options{FS: fsys})
		checkRecords(t, got, append(snap, tail...))
		if !maps.Equal(stateOf(got), model) {
			t.Fatal("replayed state differs from the model")
		}
	}
}

// TestRewriteCrash fails or cuts the power at each step of a rewrite: the log reopens to the
// same logical state every time.
func TestRewriteCrash(t *testing.T) {
	type step struct {
		name      string
		fault     *aoftest.Fault
		powerCut  bool // cut the power after Commit returns
		logFailed bool // the failure fails the log itself
	}
	steps := []step{
		{name: "write temp file", fault: &aoftest.Fault{Op: aoftest.OpWrite, Path: rewriteTemp, Err: syscall.ENOSPC, Short: -1}},
		{name: "fsync temp file", fault: &aoftest.Fault{Op: aoftest.OpSync, Path: rewriteTemp}, powerCut: true},
		{name: "final fsync temp file", fault: &aoftest.Fault{Op: aoftest.OpSync, Path: rewriteTemp, Skip: 1}, powerCut: true},
		{name: "rename", fault: &aoftest.Fault{Op: aoftest.OpRename, Path: rewriteTemp}, powerCut: true},
		{name: "fsync directory, process crash", fault: &aoftest.Fault{Op: aoftest.OpSyncDir}, logFailed: true},
		{name: "fsync directory, power cut", fault: &aoftest.Fault{Op: aoftest.OpSyncDir}, logFailed: true, powerCut: true},
		{name: "success, power cut", powerCut: true},
		{name: "success"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(9, 10))
			fsys := aoftest.New()
			l, _ := mustOpen(t, logPath, aof.Options{FS: fsys})
			model := kv{}
			for i := range 30 {
				appendKV(t, l, model, kvBatch(rng, 5, fmt.Sprint("pre", i)))
			}
			rw, err := l.BeginRewrite()
			if err != nil {
				t.Fatal(err)
			}
			defer rw.Abort()
			snap := snapshotOf(model)
			for i := range 10 {
				appendKV(t, l, model, kvBatch(rng, 5, fmt.Sprint("mid", i)))
			}
			if st.fault != nil {
				fsys.Inject(*st.fault)
			}
			for _, rec := range snap {
				if err := rw.Write(rec); err != nil {
					t.Fatal(err) // buffered: the temp file is written at Commit
				}
			}
			err = rw.Commit()
			if (err != nil) != (st.fault != nil) {
				t.Fatalf("Commit = %v", err)
			}
			if errors.Is(err, aof.ErrFailed) != st.logFailed {
				t.Fatalf("Commit = %v; log failed: %v, want %v", err, errors.Is(err, aof.ErrFailed), st.logFailed)
			}
			if l.Rewriting() {
				t.Fatal("Rewriting() after Commit returned")
			}
			if err != nil && !st.logFailed && fsys.Exists(rewriteTemp) {
				t.Fatal("a failed Commit left the temporary file")
			}
			if err := rw.Abort(); err != nil {
				t.Fatalf("Abort after Commit: %v", err)
			}
			fsys.ClearFaults()
			// The log keeps working unless it failed.
			after := kvBatch(rng, 3, "after")
			err = l.Append(after)
			if st.logFailed != (err != nil) {
				t.Fatalf("Append after Commit = %v", err)
			}
			if err == nil {
				for _, r := range after {
					model.apply(r)
				}
			}
			if st.powerCut {
				fsys.PowerCut()
			} else {
				l.Close()
			}
			_, got := mustOpen(t, logPath, aof.Options{FS: fsys})
			if fsys.Exists(rewriteTemp) {
				t.Fatal("Open left the temporary file")
			}
			if !maps.Equal(stateOf(got), model) {
				t.Fatal("reopened state differs from the model")
			}
		})
	}
}

// TestRewriteCrashMidway abandons a rewrite (the process dies before Commit): the next Open
// removes the temporary file and replays the old log.
func TestRewriteCrashMidway(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	fsys := aoftest.New()
	l, _ := mustOpen(t, logPath, aof.Options{FS: fsys})
	model := kv{}
	appendKV(t, l, model, kvBatch(rng, 5, "a"), kvBatch(rng, 5, "b"))
	rw, err := l.BeginRewrite()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range snapshotOf(model) {
		if err := rw.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if !fsys.Exists(rewriteTemp) {
		t.Fatal("no temporary file")
	}
	logs := &logCapture{}
	_, got := mustOpen(t, logPath, aof.Options{FS: fsys, Logger: logs.logger()})
	if fsys.Exists(rewriteTemp) {
		t.Fatal("Open did not remove the temporary file")
	}
	if !maps.Equal(stateOf(got), model) {
		t.Fatal("wrong state after an abandoned rewrite")
	}
}

func TestRewriteAbort(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 15))
	fsys := aoftest.New()
	l, _ := mustOpen(t, logPath, aof.Options{FS: fsys})
	model := kv{}
	appendKV(t, l, model, kvBatch(rng, 5, "a"))
	rw, err := l.BeginRewrite()
	if err != nil {
		t.Fatal(err)
	}
	if err := rw.Write([]byte("k1=snap")); err != nil {
		t.Fatal(err)
	}
	if err := rw.Abort(); err != nil {
		t.Fatal(err)
	}
	if fsys.Exists(rewriteTemp) || l.Rewriting() {
		t.Fatal("Abort left the rewrite behind")
	}
	if err := rw.Commit(); !errors.Is(err, aof.ErrRewriteDone) {
		t.Fatalf("Commit after Abort = %v", err)
	}
	if err := rw.Write([]byte("x")); !errors.Is(err, aof.ErrRewriteDone) {
		t.Fatalf("Write after Abort = %v", err)
	}
	appendKV(t, l, model, kvBatch(rng, 5, "b"))
	// A new rewrite can start, with an empty snapshot.
	rw, err = l.BeginRewrite()
	if err != nil {
		t.Fatal(err)
	}
	if err := rw.Commit(); err != nil {
		t.Fatal(err)
	}
	if l.Size() != aof.FileHeaderSize {
		t.Fatalf("size %d after a rewrite with an empty snapshot", l.Size())
	}
	appendKV(t, l, kv{}, [][]byte{[]byte("k1=z")})
	l.Close()
	_, got := mustOpen(t, logPath, aof.Options{FS: fsys})
	checkRecords(t, got, [][]byte{[]byte("k1=z")})
}

// TestRewriteClose: a Commit after Close fails with ErrClosed and removes the temporary file.
func TestRewriteClose(t *testing.T) {
	fsys := aoftest.New()
	l, _ := mustOpen(t, logPath, aof.Options{FS: fsys})
	if err := l.Append([][]byte{[]byte("k=v")}); err != nil {
		t.Fatal(err)
	}
	rw, err := l.BeginRewrite()
	if err != nil {
		t.Fatal(err)
	}
	if err := rw.Write([]byte("k=v")); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rw.Commit(); !errors.Is(err, aof.ErrClosed) {
		t.Fatalf("Commit after Close = %v", err)
	}
	if fsys.Exists(rewriteTemp) {
		t.Fatal("temporary file left")
	}
}

// TestRewriteOS runs a rewrite on the real file system (rename and directory fsync).
func TestRewriteOS(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.aof")
	rng := rand.New(rand.NewPCG(16, 17))
	l, _ := mustOpen(t, path, aof.Options{})
	model := kv{}
	for i := range 20 {
		appendKV(t, l, model, kvBatch(rng, 4, fmt.Sprint("a", i)))
	}
	before := l.Size()
	rw, err := l.BeginRewrite()
	if err != nil {
		t.Fatal(err)
	}
	if rw.Start() != before {
		t.Fatalf("Start() = %d, want %d", rw.Start(), before)
	}
	for _, rec := range snapshotOf(model) {
		if err := rw.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := rw.EndSnapshot(); err != nil {
		t.Fatal(err)
	}
	if err := rw.Write([]byte("late")); err == nil {
		t.Fatal("Write after EndSnapshot succeeded")
	}
	appendKV(t, l, model, kvBatch(rng, 4, "b"))
	if err := rw.Commit(); err != nil {
		t.Fatal(err)
	}
	if l.Size() >= before || l.Stats().Rewrites != 1 {
		t.Fatalf("size %d after compaction (was %d), stats %+v", l.Size(), before, l.Stats())
	}
	if _, err := os.Stat(path + ".rewrite"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("temporary file after Commit: %v", err)
	}
	appendKV(t, l, model, kvBatch(rng, 4, "c"))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	_, got := mustOpen(t, path, aof.Options{})
	if !maps.Equal(stateOf(got), model) {
		t.Fatal("state differs after a rewrite on the OS file system")
	}
}

// TestRewriteLogFailed: when the log fails during a rewrite, Commit fails and removes the
// temporary file.
func TestRewriteLogFailed(t *testing.T) {
	fsys := aoftest.New()
	l, _ := mustOpen(t, logPath, aof.Options{FS: fsys})
	if err := l.Append([][]byte{[]byte("k=1")}); err != nil {
		t.Fatal(err)
	}
	rw, err := l.BeginRewrite()
	if err != nil {
		t.Fatal(err)
	}
	if err := rw.Write([]byte("k=1")); err != nil {
		t.Fatal(err)
	}
	fsys.Inject(aoftest.Fault{Op: aoftest.OpSync, Path: logPath})
	if err := l.Append([][]byte{[]byte("k=2")}); !errors.Is(err, aof.ErrFailed) {
		t.Fatal(err)
	}
	if err := rw.Commit(); !errors.Is(err, aof.ErrFailed) {
		t.Fatalf("Commit on a failed log = %v", err)
	}
	if fsys.Exists(rewriteTemp) || l.Rewriting() {
		t.Fatal("rewrite left behind")
	}
	if err := rw.Write(make([]byte, aof.MaxRecordSize+1)); !errors.Is(err, aof.ErrRewriteDone) {
		t.Fatalf("Write after a failed Commit = %v", err)
	}
}
