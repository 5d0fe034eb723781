package fleetdb

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fleetdb-go/fleetdb/internal/gctest"
)

// TestIndexScansAcrossCollections: an index's runs do not keep their keys
// alive (internal/btree, borrow.go); the record map's blocks do. Writers
// rewrite records (keeping their indexed attributes, so the indexes store
// their keys anew), delete and insert them again in batches large enough
// for the sorted path, while readers scan an index through the live
// database and through a snapshot taken at the start, and the collector
// runs after every round of writes, with freed memory written over. Every
// record a scan returns must be whole and match its condition, and the
// snapshot must keep answering what it answered first. (A run's slot left
// pointing at freed memory is read only by a search that compares it, so
// this test is a net for the whole stack; btree's TestBorrowingSetKeys is
// the one that fails at once without the parts' shadow lists.)
func TestIndexScansAcrossCollections(t *testing.T) {
	// A history of 1 byte: the change feed's history, which holds the
	// blocks of recent changes, would keep the old blocks alive anyway.
	db := openTestWith(t, Options{WatchHistory: 1})
	ctx := context.Background()
	const n, cities = 3000, 7
	must := func(req string) []byte {
		t.Helper()
		out, err := db.Query(ctx, []byte(req))
		if err != nil {
			t.Fatalf("%s: %v", req, err)
		}
		return out
	}
	must(`["create-index","p","city"]`)
	must(`["create-index","p",[["city","asc"],["age","desc"]]]`)
	record := func(id, version int) string {
		return fmt.Sprintf(`{"id":%d,"city":"city number %d of the test","age":%d,"v":%d}`, id, id%cities, id%90, version)
	}
	var batch []byte
	insert := func(lo, hi, version int) {
		batch = append(batch[:0], `["insert","p",[`...)
		for id := lo; id < hi; id++ {
			if id > lo {
				batch = append(batch, ',')
			}
			batch = append(batch, record(id, version)...)
		}
		batch = append(batch, "]]"...)
		must(string(batch))
	}
	for lo := 0; lo < n; lo += 500 {
		insert(lo, min(lo+500, n), 0)
	}
	snap := db.Snapshot()
	scan := func(q func(string) ([]byte, error), city int) (string, error) {
		out, err := q(fmt.Sprintf(`["select","p",{"where":["=","city","city number %d of the test"],"order":["age","desc"]}]`, city))
		if err != nil {
			return "", err
		}
		var recs []struct {
			ID, Age, V int
			City       string
		}
		if err := json.Unmarshal(out, &recs); err != nil {
			return "", fmt.Errorf("answer is not JSON: %v: %.200s", err, out)
		}
		for i, r := range recs {
			if r.City != fmt.Sprintf("city number %d of the test", city) || r.ID%cities != city || r.Age != r.ID%90 {
				return "", fmt.Errorf("city %d: record %+v does not match", city, r)
			}
			if i > 0 && r.Age > recs[i-1].Age {
				return "", fmt.Errorf("city %d: ages out of order", city)
			}
		}
		return string(out), nil
	}
	snapQuery := func(req string) ([]byte, error) { return snap.Query(ctx, []byte(req)) }
	liveQuery := func(req string) ([]byte, error) { return db.Query(ctx, []byte(req)) }
	first := make([]string, cities)
	for c := range cities {
		var err error
		if first[c], err = scan(snapQuery, c); err != nil {
			t.Fatal(err)
		}
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for r := range 2 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				c := (i + r) % cities
				if _, err := scan(liveQuery, c); err != nil {
					errs <- err
					return
				}
				got, err := scan(snapQuery, c)
				if err == nil && got != first[c] {
					err = fmt.Errorf("the snapshot's answer for city %d changed", c)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for round := 1; round <= 30; round++ {
		for k := 0; k < 40; k++ {
			id := (round*131 + k*37) % n
			must(fmt.Sprintf(`["update","p",{"v":%d},{"where":["=","id",%d]}]`, round, id)) // same keys, new block
		}
		lo := (round * 97) % (n - 300)
		must(fmt.Sprintf(`["delete","p",{"where":[">=<","id",[%d,%d]]}]`, lo, lo+300)) // lo <= id < lo+300
		insert(lo, lo+300, round)
		gctest.Scribble(64, 80, 96, 112, 128, 144)
		select {
		case err := <-errs:
			t.Fatal(err)
		default:
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := string(must(`["count","p"]`)); got != fmt.Sprint(n) {
		t.Fatalf("count %s, want %d", got, n)
	}
}
