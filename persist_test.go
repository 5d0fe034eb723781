package fleetdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/aof"
	"github.com/fleetdb-go/fleetdb/aof/aoftest"
)

func openAt(t testing.TB, opts Options) *DB {
	t.Helper()
	db, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestPersistReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.fdb")
	db := openAt(t, Options{Path: path})
	mustQuery(t, db, `["create-index","p",[["age","desc"]]]`)
	mustQuery(t, db, `["insert","p",[{"id":1,"age":30,"n":1.50},{"id":"x","age":20}]]`)
	mustQuery(t, db, `["update","p",{"age":31},{"where":["=","id",1]}]`)
	if _, err := db.Query(context.Background(), []byte(`["insert","p",{"id":1}]`)); !errors.Is(err, ErrRefused) {
		t.Fatal(err)
	}
	mustQuery(t, db, `["multi-write",[["insert","q",{"id":1}],["delete","p",{"where":["=","id","x"]}]]]`)
	want := db.value().Hash()
	wantSel := string(mustQuery(t, db, `["select","p"]`))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, Options{Path: path})
	defer db.Close()
	if db.value().Hash() != want {
		t.Fatalf("reopened database differs: %s", mustQuery(t, db, `["select","p"]`))
	}
	if got := string(mustQuery(t, db, `["select","p"]`)); got != wantSel || got != `[{"id":1,"age":31,"n":1.50}]` {
		t.Fatalf("select after reopen = %s", got)
	}
	if err := db.value().Check(); err != nil {
		t.Fatal(err)
	}
	info := string(mustQuery(t, db, `["info"]`))
	if !strings.Contains(info, `"persistent":true`) || !strings.Contains(info, `"db-file-size":`) || !strings.Contains(info, `"compacting":false`) {
		t.Fatalf("info = %s", info)
	}
}

// TestCompactionUnderWriters compacts while writers run; the compacted log
// must replay to the same value as the live database.
func TestCompactionUnderWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.fdb")
	db := openAt(t, Options{Path: path, Sync: SyncNever})
	mustQuery(t, db, `["create-index","p","v"]`)
	for i := 0; i < 2000; i++ {
		mustQuery(t, db, fmt.Sprintf(`["insert","p",{"id":%d,"v":%d}]`, i, i%10))
	}
	sizeBefore := db.aof.Size()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				id := 10000 + w*1000 + i
				mustQuery(t, db, fmt.Sprintf(`["insert","p",{"id":%d,"v":%d}]`, id, w))
				mustQuery(t, db, fmt.Sprintf(`["update","p",{"v":-1},{"where":["=","id",%d]}]`, i))
			}
		}(w)
	}
	started := mustQuery(t, db, `["compact"]`)
	if string(started) != "true" {
		t.Fatalf("compact = %s", started)
	}
	wg.Wait()
	for db.Compacting() {
		time.Sleep(time.Millisecond)
	}
	if db.compactions.done.Load() != 1 {
		t.Fatalf("compaction did not succeed (failed %d)", db.compactions.failed.Load())
	}
	want := db.value().Hash()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, Options{Path: path})
	defer db.Close()
	if db.value().Hash() != want {
		t.Fatal("compacted log replays to a different value")
	}
	if err := db.value().Check(); err != nil {
		t.Fatal(err)
	}
	t.Logf("log %d bytes before compaction, %d after", sizeBefore, db.aof.Size())
}

func TestCompactEphemeralAndTwice(t *testing.T) {
	db := openTest(t)
	if out := mustQuery(t, db, `["compact"]`); string(out) != "false" {
		t.Fatalf("ephemeral compact = %s", out)
	}
}

// TestFsyncFailureRefusesWritesKeepsReads injects a failing fsync: the
// write is not acknowledged, later writes are refused with status-2
// errors, reads still work, and everything acknowledged before survives.
func TestFsyncFailureRefusesWritesKeepsReads(t *testing.T) {
	for _, errno := range []error{syscall.EIO, syscall.ENOSPC} {
		t.Run(errno.Error(), func(t *testing.T) {
			fsys := aoftest.New()
			db := openAt(t, Options{Path: "/db/x.fdb", fs: fsys})
			mustQuery(t, db, `["insert","p",{"id":1}]`)
			if errno == syscall.ENOSPC {
				fsys.Inject(aoftest.Fault{Op: aoftest.OpWrite, Err: errno, Short: -1})
			} else {
				fsys.Inject(aoftest.Fault{Op: aoftest.OpSync, Err: errno})
			}
			_, err := db.Query(context.Background(), []byte(`["insert","p",{"id":2}]`))
			if !errors.Is(err, ErrUnavailable) || !errors.Is(err, errno) {
				t.Fatalf("failing write: %v", err)
			}
			_, err = db.Query(context.Background(), []byte(`["insert","p",{"id":3}]`))
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("write after failure: %v", err)
			}
			if out := mustQuery(t, db, `["select","p"]`); string(out) != `[{"id":1}]` {
				t.Fatalf("reads after failure = %s", out)
			}
			if info := string(mustQuery(t, db, `["info"]`)); !strings.Contains(info, `"log-failed":true`) {
				t.Fatalf("info = %s", info)
			}
			db.Close()
			fsys.ClearFaults()
			fsys.PowerCut()
			db = openAt(t, Options{Path: "/db/x.fdb", fs: fsys})
			defer db.Close()
			if out := mustQuery(t, db, `["select","p"]`); string(out) != `[{"id":1}]` {
				t.Fatalf("after power cut = %s", out)
			}
		})
	}
}

// TestPowerCutKeepsAcknowledged acknowledges writes from concurrent writers
// under SyncAlways, cuts the power at a random moment, and checks every
// acknowledged write survived.
func TestPowerCutKeepsAcknowledged(t *testing.T) {
	fsys := aoftest.New()
	db := openAt(t, Options{Path: "/db/p.fdb", fs: fsys})
	var mu sync.Mutex
	acked := map[int]bool{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := w*100000 + i
				if _, err := db.Query(context.Background(), []byte(fmt.Sprintf(`["insert","p",{"id":%d}]`, id))); err == nil {
					mu.Lock()
					acked[id] = true
					mu.Unlock()
				}
			}
		}(w)
	}
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	fsys.PowerCut() // everything not fsynced is gone; open handles fail
	n := len(acked)
	snapshot := make(map[int]bool, n)
	for id := range acked {
		snapshot[id] = true
	}
	mu.Unlock()
	close(stop)
	wg.Wait()
	db.Close()
	db = openAt(t, Options{Path: "/db/p.fdb", fs: fsys})
	defer db.Close()
	for id := range snapshot {
		if out := mustQuery(t, db, fmt.Sprintf(`["count","p",{"where":["=","id",%d]}]`, id)); string(out) != "1" {
			t.Fatalf("acknowledged id %d lost", id)
		}
	}
	t.Logf("%d acknowledged writes survived the power cut", n)
}

func TestSecondOpenIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.fdb")
	db := openAt(t, Options{Path: path})
	if _, err := Open(Options{Path: path}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second open: %v", err)
	}
	db.Close()
	db2 := openAt(t, Options{Path: path})
	db2.Close()
}

func TestCorruptLogRefusesToOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.fdb")
	db := openAt(t, Options{Path: path})
	for i := 0; i < 20; i++ {
		mustQuery(t, db, fmt.Sprintf(`["insert","p",{"id":%d,"pad":"%050d"}]`, i, i))
	}
	db.Close()
	data, _ := os.ReadFile(path)
	data[len(data)/2] ^= 0x40
	os.WriteFile(path, data, 0o644)
	_, err := Open(Options{Path: path})
	if !errors.Is(err, aof.ErrCorrupt) || !strings.Contains(err.Error(), "offset") {
		t.Fatalf("open of a corrupt log: %v", err)
	}
	// A torn tail (a crash mid-append) is cut off and the prefix opens.
	data[len(data)/2] ^= 0x40
	os.WriteFile(path, data[:len(data)-7], 0o644)
	db = openAt(t, Options{Path: path})
	defer db.Close()
	if out := mustQuery(t, db, `["count","p"]`); string(out) != "19" {
		t.Fatalf("after torn tail: count = %s", out)
	}
}

// TestReplayLeavesTheCollectorAlone: opening a log changes no setting of
// the process; Options.ReplayGCPercent sets the collector's percentage
// during the replay only (a command replayed from the log sees it) and
// restores it after.
func TestReplayLeavesTheCollectorAlone(t *testing.T) {
	gcPercent := func() int {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p
	}
	// A log written before calls were logged as their writes replays its
	// calls through the registered command: the probe sees the collector's
	// setting during the replay (testdata/old-call-v1.fdb calls "birthday"
	// twice).
	var seen []int
	cmds := map[string]Command{"birthday": func(*Tx, []json.RawMessage) (any, error) {
		seen = append(seen, gcPercent())
		return nil, nil
	}}
	src, err := os.ReadFile("testdata/old-call-v1.fdb")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	before := gcPercent()
	for i, tc := range []struct{ option, want int }{{0, before}, {before + 300, before + 300}} {
		seen = nil
		path := filepath.Join(dir, fmt.Sprintf("db%d.fdb", i))
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		db := openAt(t, Options{Path: path, Commands: cmds, ReplayGCPercent: tc.option})
		db.Close()
		if len(seen) != 2 || seen[0] != tc.want || seen[1] != tc.want {
			t.Errorf("ReplayGCPercent %d: the replay ran with %v, want [%d %d]", tc.option, seen, tc.want, tc.want)
		}
		if got := gcPercent(); got != before {
			t.Errorf("ReplayGCPercent %d: GC percent %d after Open, %d before", tc.option, got, before)
		}
	}
	if _, err := Open(Options{Path: filepath.Join(dir, "neg.fdb"), ReplayGCPercent: -1}); err == nil || !strings.Contains(err.Error(), "ReplayGCPercent") {
		t.Errorf("negative ReplayGCPercent: %v", err)
	}
}
