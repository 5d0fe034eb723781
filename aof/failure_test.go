package aof_test

import (
	"bytes"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/aof"
	"github.com/fleetdb-go/fleetdb/aof/aoftest"
)

// checkFailedForever checks that the failed log refuses every later Append and Sync with an
// error wrapping ErrFailed and cause, without touching the file.
func checkFailedForever(t *testing.T, l *aof.Log, fsys *aoftest.FaultFS, cause error) {
	t.Helper()
	before, _ := fsys.ReadFile(logPath)
	writes, syncs := fsys.Count(aoftest.OpWrite), fsys.Count(aoftest.OpSync)
	for range 3 {
		err := l.Append([][]byte{[]byte("later")})
		if !errors.Is(err, aof.ErrFailed) || !errors.Is(err, cause) {
			t.Fatalf("Append after failure = %v, want ErrFailed wrapping %v", err, cause)
		}
		if err := l.Sync(); !errors.Is(err, aof.ErrFailed) || !errors.Is(err, cause) {
			t.Fatalf("Sync after failure = %v", err)
		}
	}
	if _, err := l.BeginRewrite(); !errors.Is(err, aof.ErrFailed) {
		t.Fatalf("BeginRewrite after failure = %v", err)
	}
	if !l.Stats().Failed || !errors.Is(l.Err(), cause) {
		t.Fatalf("Stats().Failed = false or Err() = %v", l.Err())
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close of a failed log: %v", err)
	}
	after, _ := fsys.ReadFile(logPath)
	if !bytes.Equal(before, after) || fsys.Count(aoftest.OpWrite) != writes || fsys.Count(aoftest.OpSync) != syncs {
		t.Fatal("the failed log touched the file")
	}
}

func TestFsyncFailure(t *testing.T) {
	for _, sticky := range []bool{false, true} {
		fsys := aoftest.New()
		logs := &logCapture{}
		l, _ := mustOpen(t, logPath, aof.Options{FS: fsys, Logger: logs.logger()})
		batches := fixedBatches()
		for _, b := range batches[:3] {
			if err := l.Append(b); err != nil {
				t.Fatal(err)
			}
		}
		fsys.Inject(aoftest.Fault{Op: aoftest.OpSync, Path: logPath, Sticky: sticky})
		err := l.Append(batches[3])
		if !errors.Is(err, aof.ErrFailed) || !errors.Is(err, syscall.EIO) {
			t.Fatalf("Append with a failing fsync = %v", err)
		}
		checkFailedForever(t, l, fsys, syscall.EIO)
		if n := len(logs.lines(slog.LevelError)); n != 1 {
			t.Fatalf("%d error log lines, want 1", n)
		}
		// The synced batches survive a power cut; the unsynced one is gone.
		fsys.ClearFaults()
		fsys.PowerCut()
		_, got := mustOpen(t, logPath, aof.Options{FS: fsys})
		checkRecords(t, got, flatten(batches[:3]))
	}
}

func TestENOSPC(t *testing.T) {
	fsys := aoftest.New()
	logs := &logCapture{}
	l, _ := mustOpen(t, logPath, aof.Options{FS: fsys, Logger: logs.logger()})
	batches := fixedBatches()
	for _, b := range batches[:3] {
		if err := l.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	fsys.Inject(aoftest.Fault{Op: aoftest.OpWrite, Path: logPath, Err: syscall.ENOSPC, Short: -1})
	err := l.Append(batches[5]) // a big batch: half of it is written
	if !errors.Is(err, aof.ErrFailed) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Append on a full disk = %v", err)
	}
	checkFailedForever(t, l, fsys, syscall.ENOSPC)
	// Restart without a power cut: the half-written batch is a torn tail.
	fsys.ClearFaults()
	logs = &logCapture{}
	_, got := mustOpen(t, logPath, aof.Options{FS: fsys, Logger: logs.logger()})
	checkRecords(t, got, flatten(batches[:3]))
	if len(logs.lines(slog.LevelWarn)) != 1 {
		t.Fatal("no torn tail warning")
	}
}

// TestPowerCutSyncAlways: every batch whose Append returned nil survives a power cut, also
// when the cut tears an Append in flight (here: one whose fsync failed).
func TestPowerCutSyncAlways(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 6))
	for round := range 100 {
		fsys := aoftest.New()
		l, _ := mustOpen(t, logPath, aof.Options{FS: fsys})
		batches := makeBatches(rng, 1+rng.IntN(20), 8, 300)
		wantOf := appendThenCut(rng, fsys, l, batches, nil)
		_, got := mustOpen(t, logPath, aof.Options{FS: fsys})
		want := wantOf(got)
		if len(got) != len(want) {
			t.Fatalf("round %d: %d records after the power cut, %d must survive", round, len(got), len(want))
		}
		checkRecords(t, got, want)
	}
}

// TestPowerCutSyncNever: without fsync data may be lost, but what is left is a prefix of
// whole batches that includes everything up to the last explicit Sync.
func TestPowerCutSyncNever(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	for round := range 200 {
		fsys := aoftest.New()
		l, _ := mustOpen(t, logPath, aof.Options{FS: fsys, Sync: aof.SyncNever})
		batches := makeBatches(rng, 1+rng.IntN(20), 8, 300)
		synced := 0
		for i, b := range batches {
			if err := l.Append(b); err != nil {
				t.Fatal(err)
			}
			if rng.IntN(8) == 0 {
				if err := l.Sync(); err != nil {
					t.Fatal(err)
				}
				synced = i + 1
			}
		}
		fsys.PowerCutTorn(rng)
		_, got := mustOpen(t, logPath, aof.Options{FS: fsys})
		k, n := 0, 0
		for k < len(batches) && n+len(batches[k]) <= len(got) {
			n += len(batches[k])
			k++
		}
		if n != len(got) || k < synced {
			t.Fatalf("round %d: %d records survive: not whole batches, or fewer than the %d synced batches", round, len(got), synced)
		}
		checkRecords(t, got, flatten(batches[:k]))
	}
}

// TestEverySecFailure: a failed background fsync fails the log; the next Append reports it.
func TestEverySecFailure(t *testing.T) {
	fsys := aoftest.New()
	l, _ := mustOpen(t, logPath, aof.Options{FS: fsys, Sync: aof.SyncEverySec})
	fsys.Inject(aoftest.Fault{Op: aoftest.OpSync, Path: logPath, Err: syscall.ENOSPC})
	if err := l.Append([][]byte{[]byte("x")}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for l.Err() == nil {
		if time.Now().After(deadline) {
			t.Fatal("the background fsync did not fail the log")
		}
		time.Sleep(20 * time.Millisecond)
	}
	checkFailedForever(t, l, fsys, syscall.ENOSPC)
}

// TestFailureMessageNamesFileOnce: the OS's error already names the operation and the file
// (an *fs.PathError); the log's error does not repeat them ("write X: write X: no space
// left on device" before).
func TestFailureMessageNamesFileOnce(t *testing.T) {
	fsys := aoftest.New()
	l, _ := mustOpen(t, logPath, aof.Options{FS: fsys})
	// FaultFS returns an *fs.PathError, as the OS does.
	fsys.Inject(aoftest.Fault{Op: aoftest.OpWrite, Path: logPath, Err: syscall.ENOSPC})
	err := l.Append([][]byte{[]byte("x")})
	if !errors.Is(err, aof.ErrFailed) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Append = %v", err)
	}
	if want := "aof: log failed: write " + logPath + ": no space left on device"; err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
	// An error that does not name the file gets the operation and the path.
	fsys = aoftest.New()
	l, _ = mustOpen(t, logPath, aof.Options{FS: fsys})
	fsys.Inject(aoftest.Fault{Op: aoftest.OpSync, Path: logPath, Err: syscall.EIO})
	if err := l.Append([][]byte{[]byte("x")}); err == nil || strings.Count(err.Error(), logPath) != 1 || !strings.HasSuffix(err.Error(), "input/output error") {
		t.Fatalf("fsync failure: %v", err)
	}
}
