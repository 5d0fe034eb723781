package fleetdb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/fleetdb-go/fleetdb/aof"
	"github.com/fleetdb-go/fleetdb/aof/aoftest"
)

// TestRepairCorruptLog: a flipped byte in the middle of a log makes Open
// refuse with the offset and the repair command; RepairLog (refused while
// the database is open) cuts at the damaged batch, keeps the cut bytes, and
// the database opens on the intact prefix.
func TestRepairCorruptLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.fdb")
	db := openAt(t, Options{Path: path})
	var ends []int64
	for i := 0; i < 20; i++ {
		mustQuery(t, db, fmt.Sprintf(`["insert","p",{"id":%d,"pad":"%050d"}]`, i, i))
		ends = append(ends, db.aof.Size()) // the log's end, before the zeros written ahead
	}
	if _, err := RepairLog(path); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("repair of an open log: %v", err)
	}
	db.Close()
	data, _ := os.ReadFile(path)
	data[ends[11]+30] ^= 0x40 // inside the 13th write
	os.WriteFile(path, data, 0o644)
	_, err := Open(Options{Path: path})
	want := fmt.Sprintf("intact up to offset %d; `fleetdb check --repair %s` cuts it there", ends[11], path)
	if !errors.Is(err, aof.ErrCorrupt) || !strings.Contains(err.Error(), want) {
		t.Fatalf("open of a corrupt log: %v\nwant it to say %q", err, want)
	}
	rep, err := RepairLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if rep.CutOffset != ends[11] || rep.CutBatches != 8 || rep.CutRecords != 8 || rep.Kept.Records != 12 {
		t.Fatalf("repair report %+v", rep)
	}
	cut, _ := os.ReadFile(path + fmt.Sprintf(".cut-%d", ends[11]))
	kept, _ := os.ReadFile(path)
	if !bytes.Equal(cut, data[ends[11]:]) || !bytes.Equal(kept, data[:ends[11]]) {
		t.Fatalf("kept %d and cut %d bytes of %d, split at %d", len(kept), len(cut), len(data), ends[11])
	}
	db = openAt(t, Options{Path: path})
	defer db.Close()
	if out := mustQuery(t, db, `["count","p"]`); string(out) != "12" {
		t.Fatalf("after repair: count = %s", out)
	}
	if _, err := os.Stat(path + ".lock"); err != nil {
		t.Fatalf("lock of the open database: %v", err)
	}
}

// TestCheckLogReplays: CheckLog replays without changing the file: a log
// with calls (logged as their writes) checks without the commands, an old
// log with a call needs them and says so.
func TestCheckLogReplays(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.fdb")
	db := openAt(t, Options{Path: path})
	db.Register("mix", mixCommand)
	db.Register("inner", innerCommand)
	mustQuery(t, db, `["call","mix",3]`)
	db.Close()
	before, _ := os.ReadFile(path)
	rep, err := CheckLog(path, nil)
	if err != nil || rep.Corruption != nil || rep.Batches != 1 {
		t.Fatalf("check: %+v %v", rep, err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("check changed the file")
	}

	old := filepath.Join(t.TempDir(), "old.fdb")
	src, _ := os.ReadFile("testdata/old-call-v1.fdb")
	os.WriteFile(old, src, 0o644)
	if _, err := CheckLog(old, nil); err == nil || !strings.Contains(err.Error(), `"birthday"`) {
		t.Fatalf("check of an old log without its command: %v", err)
	}
	noop := func(tx *Tx, args []json.RawMessage) (any, error) { return nil, nil }
	if _, err := CheckLog(old, map[string]Command{"birthday": noop}); err != nil {
		t.Fatalf("check of an old log with its command: %v", err)
	}
	if after, _ := os.ReadFile(old); !bytes.Equal(src, after) {
		t.Fatal("check changed the old file")
	}
}

// TestFullDiskMessage: on a full disk the write's error names the file once
// and says that writes are refused until restart (it was "write X: write X:
// no space left on device", and the log's failure is permanent).
func TestFullDiskMessage(t *testing.T) {
	fsys := aoftest.New()
	db := openAt(t, Options{Path: "/db/x.fdb", fs: fsys})
	defer db.Close()
	fsys.Inject(aoftest.Fault{Op: aoftest.OpWrite, Err: syscall.ENOSPC, Sticky: true})
	for i := 0; i < 2; i++ {
		_, err := db.Query(context.Background(), []byte(`["insert","p",{"id":1}]`))
		if !errors.Is(err, ErrUnavailable) || !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("write %d on a full disk: %v", i, err)
		}
		msg := err.Error()
		if strings.Count(msg, "/db/x.fdb") != 1 || !strings.Contains(msg, "refused until restart") || !strings.HasSuffix(msg, "no space left on device") {
			t.Fatalf("write %d: message %q", i, msg)
		}
	}
}
