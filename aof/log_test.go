package aof_test

import (
	"errors"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/aof"
	"github.com/fleetdb-go/fleetdb/aof/aoftest"
)

func TestRoundTrip(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	for _, tc := range []struct {
		name string
		fs   func(t *testing.T) (aof.FS, string)
	}{
		{"faultfs", func(*testing.T) (aof.FS, string) { return aoftest.New(), logPath }},
		{"os", func(t *testing.T) (aof.FS, string) { return nil, filepath.Join(t.TempDir(), "log.aof") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 1))
			fsys, path := tc.fs(t)
			opts := aof.Options{FS: fsys}
			var want [][]byte
			for round := range 3 {
				l, got := mustOpen(t, path, opts)
				checkRecords(t, got, want)
				batches := makeBatches(rng, 20+rng.IntN(20), 70, 400)
				batches = append(batches, [][]byte{{}}, [][]byte{{}, []byte("x"), {}}) // empty records
				if round == 1 {
					batches = append(batches, [][]byte{make([]byte, 3<<20)}) // larger than the read buffer
				}
				for _, b := range batches {
					if err := l.Append(b); err != nil {
						t.Fatal(err)
					}
				}
				if err := l.Append(nil); err != nil { // an empty batch writes nothing
					t.Fatal(err)
				}
				want = append(want, flatten(batches)...)
				st := l.Stats()
				if st.Batches != int64(len(batches)) || st.Appends != int64(len(batches))+1 ||
					st.Records != int64(len(flatten(batches))) || st.Fsyncs != int64(len(batches)) {
					t.Fatalf("stats %+v after %d batches", st, len(batches))
				}
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestOptions(t *testing.T) {
	for _, p := range []aof.SyncPolicy{aof.SyncAlways, aof.SyncEverySec, aof.SyncNever} {
		got, err := aof.ParseSyncPolicy(p.String())
		if err != nil || got != p {
			t.Errorf("ParseSyncPolicy(%q) = %v, %v", p.String(), got, err)
		}
	}
	if _, err := aof.ParseSyncPolicy("sometimes"); err == nil {
		t.Error("ParseSyncPolicy accepted an unknown name")
	}
	if aof.SyncPolicy(0) != aof.SyncAlways {
		t.Error("the zero SyncPolicy is not SyncAlways")
	}
	if err := (aof.Options{}).Validate(); err != nil {
		t.Errorf("zero Options: %v", err)
	}
	if err := (aof.Options{Sync: 7}).Validate(); err == nil {
		t.Error("Validate accepted sync policy 7")
	}
	if _, err := aof.Open(logPath, aof.Options{Sync: -1, FS: aoftest.New()}, nil); err == nil {
		t.Error("Open accepted invalid options")
	}
}

func TestTooLarge(t *testing.T) {
	fsys := aoftest.New()
	l, _ := mustOpen(t, logPath, aof.Options{FS: fsys})
	big := make([]byte, aof.MaxRecordSize+1) // never touched, so never really allocated
	err := l.Append([][]byte{[]byte("ok"), big})
	if !errors.Is(err, aof.ErrTooLarge) {
		t.Fatalf("Append of a too large record: %v", err)
	}
	if l.Size() != aof.FileHeaderSize || fsys.Count(aoftest.OpWrite) != 1 {
		t.Fatalf("a rejected batch wrote something: size %d", l.Size())
	}
	if err := l.Append([][]byte{[]byte("ok")}); err != nil {
		t.Fatalf("Append after ErrTooLarge: %v", err)
	}
}

func TestClose(t *testing.T) {
	l, _ := mustOpen(t, logPath, aof.Options{FS: aoftest.New()})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := l.Append([][]byte{[]byte("x")}); !errors.Is(err, aof.ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
	if err := l.Sync(); !errors.Is(err, aof.ErrClosed) {
		t.Fatalf("Sync after Close: %v", err)
	}
	if _, err := l.BeginRewrite(); !errors.Is(err, aof.ErrClosed) {
		t.Fatalf("BeginRewrite after Close: %v", err)
	}
}

func TestSyncNever(t *testing.T) {
	fsys := aoftest.New()
	l, _ := mustOpen(t, logPath, aof.Options{FS: fsys, Sync: aof.SyncNever})
	syncs := fsys.Count(aoftest.OpSync)
	for range 10 {
		if err := l.Append([][]byte{[]byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	if n := fsys.Count(aoftest.OpSync); n != syncs {
		t.Fatalf("SyncNever fsynced %d times", n-syncs)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if n := fsys.Count(aoftest.OpSync); n != syncs+1 {
		t.Fatalf("Close fsynced %d times, want 1", n-syncs)
	}
}

func TestSyncEverySec(t *testing.T) {
	fsys := aoftest.New()
	l, _ := mustOpen(t, logPath, aof.Options{FS: fsys, Sync: aof.SyncEverySec})
	if err := l.Append([][]byte{[]byte("a=1")}); err != nil {
		t.Fatal(err)
	}
	if l.Stats().Fsyncs != 0 {
		t.Fatal("SyncEverySec fsynced inside Append")
	}
	deadline := time.Now().Add(5 * time.Second)
	for l.Stats().Fsyncs == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no background fsync within 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The fsync made the batch durable: it survives a power cut.
	fsys.PowerCut()
	_, got := mustOpen(t, logPath, aof.Options{FS: fsys})
	checkRecords(t, got, [][]byte{[]byte("a=1")})
	if err := l.Close(); err != nil { // handles from before the power cut are dead; Close
		t.Logf("Close after power cut: %v", err) // reports that but must not hang
	}
}

// TestConcurrentReaders runs Size, Stats and Sync from other goroutines while appending.
func TestConcurrentReaders(t *testing.T) {
	l, _ := mustOpen(t, logPath, aof.Options{FS: aoftest.New(), Sync: aof.SyncNever})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				_ = l.Size()
				_ = l.Stats()
				if err := l.Sync(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range 500 {
		if err := l.Append([][]byte{[]byte("abc"), []byte("def")}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
}
