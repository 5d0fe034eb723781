package fleetdb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// defragQueries are read queries whose answers must not change when the value is
// defragmented.
var defragQueries = []string{
	`["select","p"]`,
	`["select","p",{"order":["id","desc"]}]`,
	`["select","p",{"where":["=","city","c3"]}]`,
	`["select","p",{"where":["=","city","c7"],"order":["age","desc"],"limit":10}]`,
	`["select","p",{"where":[">=<","score",[100,900]]}]`,
	`["select","p",{"where":["=","email","u77@example.com"]}]`,
	`["count","p"]`,
	`["count","q"]`,
	`["select","q",{"where":["=","id",5]}]`,
}

// answersOf runs defragQueries.
func answersOf(t *testing.T, db *DB) []string {
	t.Helper()
	out := make([]string, len(defragQueries))
	for i, q := range defragQueries {
		out[i] = string(mustQuery(t, db, q))
	}
	return out
}

// defragLoad writes n records into p (three indexes) and q, with updates and deletes, in
// batches, so that many tree nodes are copied.
func defragLoad(t *testing.T, db *DB, rng *rand.Rand, n int) {
	t.Helper()
	for _, spec := range []string{`"email"`, `"score"`, `["city","age"]`} {
		mustQuery(t, db, `["create-index","p",`+spec+`]`)
	}
	for i := 0; i < n; i += 100 {
		q := []byte(`["insert","p",[`)
		for j := i; j < i+100; j++ {
			if j > i {
				q = append(q, ',')
			}
			id := rng.IntN(1 << 30)
			q = fmt.Appendf(q, `{"id":%d,"email":"u%d@example.com","city":"c%d","age":%d,"score":%d}`, id, j, j%10, rng.IntN(90), rng.IntN(1000))
		}
		q = append(q, "]]"...)
		mustQuery(t, db, string(q))
		mustQuery(t, db, fmt.Sprintf(`["insert","q",{"id":%d,"n":%d}]`, i/100, i))
	}
	mustQuery(t, db, `["update","p",{"tag":"x"},{"where":["=","city","c3"]}]`)
	mustQuery(t, db, `["delete","p",{"where":["<","score",50]}]`)
}

// TestDefragAfterIdle: after enough writes and an idle spell the database installs a compacted
// copy of its value: every answer and the position are the same, the trees check out, no
// change is recorded, and writes, reads and later defragmentations go on.
func TestDefragAfterIdle(t *testing.T) {
	db, err := Open(Options{DefragIdle: 30 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	defragLoad(t, db, rng, 5000)
	// The value and history of the last write, taken at once: the idle spell begins with it
	// (answering the queries may take longer than the spell under -race).
	v0 := db.value()
	hist := historyLen(db)
	before := answersOf(t, db)
	waitDefrags(t, db, 1)
	v1 := db.value()
	if v1 == v0 || v1.Seq != v0.Seq {
		t.Fatalf("defragmented value %p seq %d, before %p seq %d", v1, v1.Seq, v0, v0.Seq)
	}
	if err := v1.Check(); err != nil {
		t.Fatal(err)
	}
	if got := answersOf(t, db); fmt.Sprint(got) != fmt.Sprint(before) {
		t.Fatalf("answers changed by the defragmentation:\n%v\nwant\n%v", got, before)
	}
	if h := historyLen(db); h != hist {
		t.Fatalf("change history %d entries after the defragmentation, %d before", h, hist)
	}
	// Writes go on over the compacted sets, and a second round follows them.
	mustQuery(t, db, `["delete","p",{"where":["=","city","c4"]}]`)
	for i := 0; i < 6000; i++ {
		mustQuery(t, db, fmt.Sprintf(`["insert","q",{"id":%d}]`, 100000+i))
	}
	before = answersOf(t, db)
	waitDefrags(t, db, 2)
	if err := db.value().Check(); err != nil {
		t.Fatal(err)
	}
	if got := answersOf(t, db); fmt.Sprint(got) != fmt.Sprint(before) {
		t.Fatalf("answers changed by the second defragmentation:\n%v\nwant\n%v", got, before)
	}
}

func historyLen(db *DB) int {
	db.hub.mu.Lock()
	defer db.hub.mu.Unlock()
	return len(db.hub.hist)
}

func waitDefrags(t *testing.T, db *DB, n int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		db.defrag.mu.Lock()
		done := db.defrag.done
		db.defrag.mu.Unlock()
		if done >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d defragmentations after 20 s, want %d", done, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDefragLosesToWrites: a copy made before a write is not installed; the write stays.
func TestDefragLosesToWrites(t *testing.T) {
	db, err := Open(Options{DefragIdle: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	defragLoad(t, db, rand.New(rand.NewPCG(3, 4)), 500)
	v := db.value()
	w := &writeReq{defrag: &defragReq{before: v, after: v.Compact()}}
	mustQuery(t, db, `["insert","q",{"id":"late"}]`)
	if err := db.submit(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	if string(w.out) != "false" {
		t.Fatal("a copy of a superseded value was installed")
	}
	if out := mustQuery(t, db, `["count","q",{"where":["=","id","late"]}]`); string(out) != "1" {
		t.Fatalf("the write made before the defragmentation: count %s", out)
	}
	if ok, err := db.defragNow(); err != nil || !ok {
		t.Fatalf("defragNow with no write in between: %v %v", ok, err)
	}
}

// TestDefragOff: DefragIdle < 0 never defragments.
func TestDefragOff(t *testing.T) {
	db, err := Open(Options{DefragIdle: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	defragLoad(t, db, rand.New(rand.NewPCG(5, 6)), 3000)
	time.Sleep(100 * time.Millisecond)
	db.defrag.mu.Lock()
	defer db.defrag.mu.Unlock()
	if db.defrag.done != 0 || db.defrag.timer != nil {
		t.Fatalf("defragmentation ran or armed with DefragIdle -1: done %d", db.defrag.done)
	}
}

// TestDefragReadersAndLog: readers running through defragmentations always see whole values;
// a durable database reopens with the same answers (the log is not touched).
func TestDefragReadersAndLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.fdb")
	db, err := Open(Options{Path: path, DefragIdle: -1})
	if err != nil {
		t.Fatal(err)
	}
	defragLoad(t, db, rand.New(rand.NewPCG(7, 8)), 3000)
	want := answersOf(t, db)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var bad atomic.Value
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				for i, q := range defragQueries {
					out, err := db.Query(context.Background(), []byte(q))
					if err != nil || string(out) != want[i] {
						bad.Store(fmt.Sprintf("%s: %s %v", q, out, err))
						return
					}
				}
			}
		}()
	}
	for range 6 {
		if ok, err := db.defragNow(); err != nil || !ok {
			t.Fatalf("defragNow: %v %v", ok, err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if b := bad.Load(); b != nil {
		t.Fatalf("a reader saw %v", b)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := Open(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if got := answersOf(t, db2); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("reopened after defragmentations:\n%v\nwant\n%v", got, want)
	}
}
