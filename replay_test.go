package fleetdb

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/aof"
)

// writeLog writes a log whose batches hold the given write records (query
// texts, 'Q' prepended), as the writer would.
func writeLog(t *testing.T, path string, batches ...[]string) {
	t.Helper()
	l, err := aof.Open(path, aof.Options{Sync: aof.SyncNever}, func([]byte) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		var recs [][]byte
		for _, q := range b {
			recs = append(recs, append([]byte{recQuery}, q...))
		}
		if err := l.Append(recs); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestReplayPipeline: the replay applies on a goroutine of its own while
// the log is read; across many hand-offs, with a compaction's snapshot in
// the middle of the history, the reopened database equals the one that
// wrote the log, and a write that no longer applies fails the open with
// its record number, whatever follows it.
func TestReplayPipeline(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.fdb")
	db := openAt(t, Options{Path: path, Sync: SyncNever})
	mustQuery(t, db, `["create-index","p","k"]`)
	for i := 0; i < 3000; i++ {
		mustQuery(t, db, fmt.Sprintf(`["insert","p",{"id":%d,"k":%d}]`, i, i%7))
	}
	if ok, err := db.Compact(ctx); !ok || err != nil {
		t.Fatalf("compact: %v %v", ok, err)
	}
	for db.Compacting() {
	}
	for i := 0; i < 2000; i++ { // after the snapshot: updates, deletes, inserts
		mustQuery(t, db, fmt.Sprintf(`["update","p",{"k":%d},{"where":["=","id",%d]}]`, i%5, i))
		mustQuery(t, db, fmt.Sprintf(`["delete","p",{"where":["=","id",%d]}]`, 2999-i))
		mustQuery(t, db, fmt.Sprintf(`["insert","q",{"id":%d}]`, i))
	}
	want := db.value().Hash()
	db.Close()
	db = openAt(t, Options{Path: path})
	if got := db.value().Hash(); got != want {
		t.Fatalf("reopened value differs from the one that wrote the log")
	}
	if err := db.value().Check(); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// Record 3 repeats record 1's id; 2,000 writes follow it.
	bad := filepath.Join(t.TempDir(), "bad.fdb")
	tail := make([]string, 2000)
	for i := range tail {
		tail[i] = fmt.Sprintf(`["insert","t",{"id":%d}]`, i+10)
	}
	writeLog(t, bad, []string{`["insert","t",{"id":1}]`, `["insert","t",{"id":2}]`, `["insert","t",{"id":1}]`}, tail)
	_, err := Open(Options{Path: bad})
	if err == nil || !strings.Contains(err.Error(), "log record 3 (insert) no longer applies: Duplicated id") {
		t.Fatalf("open of a log whose third write fails: %v", err)
	}
	// The failed open released the log: a good open of another log and
	// of this one after the fact (still failing) behave alike.
	if _, err := Open(Options{Path: bad}); err == nil {
		t.Fatal("second open of the bad log succeeded")
	}
}
