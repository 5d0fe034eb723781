package fleetdb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func mustQ(t testing.TB, db *DB, req string) string {
	t.Helper()
	out, err := db.Query(context.Background(), []byte(req))
	if err != nil {
		t.Fatalf("%s: %v", req, err)
	}
	return string(out)
}

// Positions survive a restart and a compaction: the replay counts the
// writes like the writer did, and the snapshot keeps the count.
func TestPositionsSurviveReopenAndCompaction(t *testing.T) {
	path := t.TempDir() + "/p.fdb"
	db, err := Open(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		mustQ(t, db, fmt.Sprintf(`["insert","c",{"id":%d}]`, i))
	}
	if _, err := db.Query(context.Background(), []byte(`["insert","c",{"id":1}]`)); !errors.Is(err, ErrRefused) {
		t.Fatal("duplicate accepted")
	}
	if p := db.hub.position(); p != 5 {
		t.Fatalf("position %d after 5 writes (and a refused one), want 5", p)
	}
	if ok, _ := db.Compact(context.Background()); !ok {
		t.Fatal("compaction not started")
	}
	for db.Compacting() {
		time.Sleep(time.Millisecond)
	}
	mustQ(t, db, `["delete","c",{"where":["=","id",0]}]`)
	db.Close()
	db, err = Open(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if p := db.hub.position(); p != 6 {
		t.Fatalf("position %d after reopening, want 6", p)
	}
	if info := mustQ(t, db, `["info"]`); !strings.Contains(info, `"position":6,`) {
		t.Fatalf("info %s", info)
	}
	// The history starts at the reopening.
	_, err = db.Watch(context.Background(), "c", WatchOptions{From: 5, HasFrom: true})
	if err == nil || err.Error() != "History compacted: oldest position is 6" || !errors.Is(err, ErrRefused) {
		t.Fatalf("from before the history: %v", err)
	}
}

func TestWatchBounds(t *testing.T) {
	ctx := context.Background()
	db, err := Open(Options{WatchHistory: 2000, WatchBuffer: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f, err := db.Watch(ctx, "c", WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Watch(ctx, "c", WatchOptions{From: 1, HasFrom: true}); err == nil || !strings.HasPrefix(err.Error(), "Malformed query: ") {
		t.Fatalf("from beyond the current position: %v", err)
	}
	// A slow reader: the writer goes on, the feed ends.
	pad := strings.Repeat("x", 100)
	for i := 1; i <= 40; i++ {
		mustQ(t, db, fmt.Sprintf(`["insert","c",{"id":%d,"pad":%q}]`, i, pad))
		if i == 2 {
			ev, err := f.Next(ctx)
			if err != nil || ev.Op != "insert" || ev.Position != 1 {
				t.Fatalf("first event %+v %v", ev, err)
			}
		}
	}
	// The queued events are dropped; those the consumer had taken come,
	// then the end, with the last position delivered whole.
	last := uint64(1)
	for {
		var ev Event
		ev, err = f.Next(ctx)
		if err != nil {
			break
		}
		if ev.Position != last+1 {
			t.Fatalf("event at %d after %d", ev.Position, last)
		}
		last = ev.Position
	}
	var behind *WatchBehindError
	if !errors.As(err, &behind) || !errors.Is(err, ErrUnavailable) || behind.Resume != last || last >= 40 {
		t.Fatalf("slow feed ended with %v after position %d", err, last)
	}
	if got := err.Error(); got != fmt.Sprintf("Watch fell behind: resume from %d", behind.Resume) {
		t.Fatal(got)
	}
	if _, err := f.Next(ctx); !errors.As(err, &behind) {
		t.Fatalf("again: %v", err)
	}
	if db.hub.behind.Load() != 1 || db.hub.open.Load() != 0 {
		t.Fatalf("behind %d open %d", db.hub.behind.Load(), db.hub.open.Load())
	}
	// The history kept only the last writes (2000 bytes).
	_, err = db.Watch(ctx, "c", WatchOptions{From: behind.Resume, HasFrom: true})
	if err == nil || !strings.HasPrefix(err.Error(), "History compacted: oldest position is ") {
		t.Fatalf("resume from %d: %v", behind.Resume, err)
	}
	oldest := db.hub.base
	f2, err := db.Watch(ctx, "c", WatchOptions{From: oldest, HasFrom: true})
	if err != nil {
		t.Fatal(err)
	}
	for p := oldest + 1; p <= 40; p++ {
		ev, err := f2.Next(ctx)
		if err != nil || ev.Position != p {
			t.Fatalf("resumed feed: %+v %v, want position %d", ev, err, p)
		}
	}
	f2.Close()
	if _, err := f2.Next(ctx); !errors.Is(err, ErrFeedClosed) {
		t.Fatalf("after close: %v", err)
	}
}

func TestPinnedSnapshots(t *testing.T) {
	db, err := Open(Options{MaxSnapshots: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Unix(1000, 0)
	db.pins.now = func() time.Time { return now }
	mustQ(t, db, `["insert","c",[{"id":1},{"id":2}]]`)
	out := mustQ(t, db, `["snapshot-open",10]`)
	id := out[len(`{"snapshot":"`) : len(`{"snapshot":"`)+24]
	if want := `{"snapshot":"` + id + `","position":1}`; out != want {
		t.Fatalf("open: %s, want %s", out, want)
	}
	mustQ(t, db, `["delete","c"]`)
	read := `["snapshot-read","` + id + `",["count","c"]]`
	if got := mustQ(t, db, read); got != "2" {
		t.Fatalf("pinned count %s", got)
	}
	mustQ(t, db, `["snapshot-open"]`)
	if _, err := db.Query(context.Background(), []byte(`["snapshot-open"]`)); err == nil || err.Error() != "too many open snapshots" || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("third pin: %v", err)
	}
	if info := mustQ(t, db, `["info"]`); !strings.Contains(info, `"open-snapshots":2`) {
		t.Fatal(info)
	}
	// Use extends the pin; 10 s without use ends it.
	now = now.Add(9 * time.Second)
	mustQ(t, db, read)
	now = now.Add(9 * time.Second)
	mustQ(t, db, read)
	now = now.Add(10 * time.Second)
	if _, err := db.Query(context.Background(), []byte(read)); err == nil || err.Error() != "Unknown snapshot: "+id || !errors.Is(err, ErrRefused) {
		t.Fatalf("expired: %v", err)
	}
	if got := mustQ(t, db, `["snapshot-close","`+id+`"]`); got != "false" {
		t.Fatal(got)
	}
}
