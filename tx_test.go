package fleetdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestUpdateCommitsAndSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.fdb")
	db := openAt(t, Options{Path: path})
	err := db.Update(ctx, func(tx *Tx) error {
		if _, err := tx.Insert("p", map[string]any{"id": 1, "n": 1}, map[string]any{"id": 2, "n": 2}); err != nil {
			return err
		}
		// Reads inside see the transaction's own writes.
		rec, err := tx.Get("p", 2)
		if err != nil || string(rec) != `{"id":2,"n":2}` {
			return fmt.Errorf("get inside: %s %v", rec, err)
		}
		if rec, err := tx.Get("p", 99); rec != nil || err != nil {
			return fmt.Errorf("get of a missing id: %s %v", rec, err)
		}
		if rec, err := tx.Get("p", []int{1}); rec != nil || err != nil { // a select that matches nothing
			return fmt.Errorf("get of an array id: %s %v", rec, err)
		}
		if n, err := tx.UpdateWhere("p", map[string]any{"seen": true}, Find{Where: Ge("n", 2)}); err != nil || n != 1 {
			return fmt.Errorf("update inside: %d %v", n, err)
		}
		if _, err := tx.Insert("p", map[string]any{"id": 1}); !errors.Is(err, ErrRefused) {
			return fmt.Errorf("duplicate inside: %v", err)
		}
		_, err = tx.Exec([]any{"delete", "p", map[string]any{"where": []any{"=", "id", 1}}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	const want = `[{"id":2,"n":2,"seen":true}]`
	if got := string(mustQuery(t, db, `["select","p"]`)); got != want {
		t.Fatalf("after Update: %s", got)
	}
	db.Close()
	db = openAt(t, Options{Path: path})
	defer db.Close()
	if got := string(mustQuery(t, db, `["select","p"]`)); got != want {
		t.Fatalf("after restart: %s", got)
	}
}

// TestFailedUpdateChangesNothing: an Update whose function fails or panics
// after writing changes nothing, now and after a restart, and the error
// comes back.
func TestFailedUpdateChangesNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.fdb")
	db := openAt(t, Options{Path: path})
	mustQuery(t, db, `["insert","p",[{"id":1,"v":1},{"id":2,"v":2}]]`)
	mustQuery(t, db, `["create-index","p","v"]`)
	before, beforeSel := db.value().Hash(), string(mustQuery(t, db, `["select","p"]`))
	errNo := errors.New("changed my mind")
	err := db.Update(ctx, func(tx *Tx) error {
		tx.Insert("p", map[string]any{"id": 3})
		tx.UpdateWhere("p", map[string]any{"v": 99}, Find{})
		tx.Query(`["drop-index","p","v"]`)
		tx.Query(`["insert","q",{"id":1}]`)
		return errNo
	})
	if !errors.Is(err, errNo) {
		t.Fatalf("Update error = %v", err)
	}
	err = db.Update(ctx, func(tx *Tx) error {
		tx.Query(`["clear"]`)
		panic("bug")
	})
	if err == nil || !strings.Contains(err.Error(), "panic") {
		t.Fatalf("panicking Update: %v", err)
	}
	if db.value().Hash() != before {
		t.Fatalf("failed Updates changed the database: %s", mustQuery(t, db, `["select","p"]`))
	}
	mustQuery(t, db, `["insert","r",{"id":1}]`) // a later write is logged as usual
	db.Close()
	db = openAt(t, Options{Path: path})
	defer db.Close()
	if got := string(mustQuery(t, db, `["select","p"]`)); got != beforeSel {
		t.Fatalf("after restart: %s, want %s", got, beforeSel)
	}
	if got := string(mustQuery(t, db, `["list-collections"]`)); got != `["p","r"]` {
		t.Fatalf("collections after restart: %s", got)
	}
	if got := string(mustQuery(t, db, `["list-indexes","p"]`)); got != `["v"]` {
		t.Fatalf("indexes after restart: %s", got)
	}
}

func TestTxAfterUpdateIsRefused(t *testing.T) {
	db := openTest(t)
	var kept *Tx
	if err := db.Update(context.Background(), func(tx *Tx) error { kept = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := kept.Query(`["insert","p",{"id":1}]`); !errors.Is(err, errTxDone) {
		t.Fatalf("Tx after its Update: %v", err)
	}
	if got := string(mustQuery(t, db, `["count","p"]`)); got != "0" {
		t.Fatalf("count = %s", got)
	}
}

// TestConcurrentUpdateView: transfers between two accounts run as Updates
// (read, then write) from several goroutines while Views check that the
// total never changes and both reads of a View agree; at the end every
// transfer is counted exactly once (Updates are serialized).
func TestConcurrentUpdateView(t *testing.T) {
	ctx := context.Background()
	for _, path := range []string{"", filepath.Join(t.TempDir(), "db.fdb")} {
		db := openAt(t, Options{Path: path})
		mustQuery(t, db, `["insert","acct",[{"id":"a","bal":1000},{"id":"b","bal":1000},{"id":"n","count":0}]]`)
		balance := func(get func(string) (json.RawMessage, error), id, attr string) (int, error) {
			rec, err := get(id)
			if err != nil {
				return 0, err
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(rec, &m); err != nil {
				return 0, err
			}
			var n int
			err = json.Unmarshal(m[attr], &n)
			return n, err
		}
		const writers, each = 4, 50
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		stop := make(chan struct{})
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					err := db.Update(ctx, func(tx *Tx) error {
						get := func(id string) (json.RawMessage, error) { return tx.Get("acct", id) }
						from, to := "a", "b"
						if (w+i)%2 == 1 {
							from, to = to, from
						}
						fb, err := balance(get, from, "bal")
						if err != nil {
							return err
						}
						tb, err := balance(get, to, "bal")
						if err != nil {
							return err
						}
						n, err := balance(get, "n", "count")
						if err != nil {
							return err
						}
						_, err = tx.Put("acct", map[string]any{"id": from, "bal": fb - 7}, map[string]any{"id": to, "bal": tb + 7}, map[string]any{"id": "n", "count": n + 1})
						return err
					})
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		var readers sync.WaitGroup
		for range 2 {
			readers.Add(1)
			go func() {
				defer readers.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					err := db.View(ctx, func(s *Snapshot) error {
						get := func(id string) (json.RawMessage, error) { return s.Get(ctx, "acct", id) }
						a, err1 := balance(get, "a", "bal")
						b, err2 := balance(get, "b", "bal")
						a2, err3 := balance(get, "a", "bal")
						if err := errors.Join(err1, err2, err3); err != nil {
							return err
						}
						if a+b != 2000 || a != a2 {
							return fmt.Errorf("view saw a=%d b=%d a again=%d", a, b, a2)
						}
						return nil
					})
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(stop)
		readers.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if got := string(mustQuery(t, db, `["select","acct",{"where":["=","id","n"],"only":"count"}]`)); got != fmt.Sprintf("[%d]", writers*each) {
			t.Fatalf("%q: transfers counted %s, want %d", path, got, writers*each)
		}
		db.Close()
	}
}

func TestUpdateInClusterIsRefused(t *testing.T) {
	dbs := openTestCluster(t, 1, nil)
	err := dbs[0].Update(context.Background(), func(tx *Tx) error { return nil })
	if !errors.Is(err, ErrUpdateInCluster) || !strings.Contains(err.Error(), "Register") {
		t.Fatalf("Update in a cluster: %v", err)
	}
	if err := dbs[0].View(context.Background(), func(s *Snapshot) error { return nil }); err != nil {
		t.Fatalf("View in a cluster: %v", err)
	}
}

func TestLockFileRemoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "db.fdb")
	db := openAt(t, Options{Path: path})
	if _, err := os.Stat(path + ".lock"); err != nil {
		t.Fatalf("no lock file while open: %v", err)
	}
	db.Close()
	if _, err := os.Stat(path + ".lock"); !os.IsNotExist(err) {
		t.Fatalf("lock file after a clean stop: %v", err)
	}
	bad := filepath.Join(dir, "notalog")
	os.WriteFile(bad, []byte("hello, this is not a log\n"), 0o644)
	if _, err := Open(Options{Path: bad}); err == nil {
		t.Fatal("opened a file that is not a log")
	}
	if _, err := os.Stat(bad + ".lock"); !os.IsNotExist(err) {
		t.Fatalf("lock file after a refused Open: %v", err)
	}
	// The lock still excludes a second opener, and is taken again after.
	db = openAt(t, Options{Path: path})
	if _, err := Open(Options{Path: path}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Open: %v", err)
	}
	db.Close()
	db = openAt(t, Options{Path: path})
	db.Close()
}
