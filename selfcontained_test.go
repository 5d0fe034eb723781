package fleetdb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mixCommand makes every kind of write, including sub-writes that fail and
// are ignored, a multi-write that is rolled back and a nested call.
func mixCommand(tx *Tx, args []json.RawMessage) (any, error) {
	var n int
	if err := json.Unmarshal(args[0], &n); err != nil {
		return nil, err
	}
	steps := []string{
		`["insert","m",[{"id":` + itoa(n) + `,"v":` + itoa(n) + `,"x":1.50},{"id":"s` + itoa(n) + `","v":0}]]`,
		`["insert","m",{"id":` + itoa(n) + `}]`, // duplicate: refused, ignored
		`["update","m",{"v":null,"w":"u` + itoa(n) + `"},{"where":["=","v",0]}]`,
		`["put","m",{"id":"p","last":` + itoa(n) + `}]`,
		`["create-index","m",[["w","desc"]]]`,
		`["multi-write",[["insert","m",{"id":"gone"}],["insert","m",{"id":"gone"}]]]`, // rolled back
		`["checked-write",["count","m"],-1,["clear"]]`,                                // check fails
		`["delete","m",{"where":["<","id",` + itoa(n-1) + `]}]`,
		`["insert","other",{"id":` + itoa(n) + `}]`,
		`["drop-collection","other"]`,
		`["create-index","k","a"]`,
		`["drop-index","k","a"]`,
		`["call","inner",` + itoa(n) + `]`,
	}
	for _, s := range steps {
		tx.Query(s)
	}
	return n, nil
}

func innerCommand(tx *Tx, args []json.RawMessage) (any, error) {
	_, err := tx.Query(`["put","inner",{"id":` + string(args[0]) + `,"nested":true}]`)
	return nil, err
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestCallLoggedAsItsWrites: a database whose log holds calls (of every
// kind of write, nested, failing) reopens without the commands, to the same
// value; the log holds no call.
func TestCallLoggedAsItsWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.fdb")
	db := openAt(t, Options{Path: path})
	mustQuery(t, db, `["insert","m",{"id":0,"v":7}]`)
	// Registered after Open, as a program may do.
	db.Register("mix", mixCommand)
	db.Register("inner", innerCommand)
	db.Register("fail", func(tx *Tx, args []json.RawMessage) (any, error) {
		tx.Query(`["clear"]`)
		return nil, errors.New("no")
	})
	for i := 1; i <= 5; i++ {
		if _, err := db.Call(ctx, "mix", i); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Call(ctx, "fail"); !errors.Is(err, ErrRefused) {
			t.Fatalf("fail: %v", err)
		}
	}
	mustQuery(t, db, `["multi-write",[["call","mix",10],["insert","z",{"id":1}],["call","inner",11]]]`)
	mustQuery(t, db, `["checked-write",["count","z"],1,["call","mix",20]]`)
	if _, err := db.Query(ctx, []byte(`["multi-write",[["call","mix",30],["insert","z",{"id":1}]]]`)); !errors.Is(err, ErrRefused) {
		t.Fatalf("failing multi-write: %v", err)
	}
	mustQuery(t, db, `["call","inner",12]`)
	want, wantM := db.value().Hash(), string(mustQuery(t, db, `["select","m"]`))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(`"call"`)) {
		t.Fatal("the log holds a call")
	}
	db = openAt(t, Options{Path: path}) // no commands
	defer db.Close()
	if db.value().Hash() != want {
		t.Fatalf("reopened without commands: m = %s, want %s", mustQuery(t, db, `["select","m"]`), wantM)
	}
	if err := db.value().Check(); err != nil {
		t.Fatal(err)
	}
}

// TestOldLogWithCall opens a log written before calls were logged as their
// writes (testdata/old-call-v1.fdb: an insert, then two calls of
// "birthday" on id 2): with the command registered it replays; without,
// the refusal names the command and the way out; after a compaction the
// log needs the command no more.
func TestOldLogWithCall(t *testing.T) {
	src, err := os.ReadFile("testdata/old-call-v1.fdb")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.fdb")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Open(Options{Path: path})
	if err == nil || !strings.Contains(err.Error(), `"birthday"`) || !strings.Contains(err.Error(), "Options.Commands") || !strings.Contains(err.Error(), "compact") {
		t.Fatalf("open without the command: %v", err)
	}
	if _, err := os.Stat(path + ".lock"); err == nil {
		t.Error("a refused Open left the lock file")
	}
	// The old command: each call adds one to the age.
	birthday := func(tx *Tx, args []json.RawMessage) (any, error) {
		out, err := tx.Query(`["select","people",{"where":["=","id",` + string(args[0]) + `],"only":"age"}]`)
		if err != nil {
			return nil, err
		}
		var ages []int
		if err := json.Unmarshal(out, &ages); err != nil || len(ages) != 1 {
			return nil, errors.New("no such person")
		}
		return tx.Query(`["update","people",{"age":` + itoa(ages[0]+1) + `},{"where":["=","id",` + string(args[0]) + `]}]`)
	}
	db := openAt(t, Options{Path: path, Commands: map[string]Command{"birthday": birthday}})
	const want = `[{"id":1,"name":"Bob","age":31},{"id":2,"name":"Amy","age":29},{"id":3,"name":"Cid","age":45}]`
	if got := string(mustQuery(t, db, `["select","people"]`)); got != want {
		t.Fatalf("replayed with the command: %s", got)
	}
	if started, err := db.Compact(context.Background()); err != nil || !started {
		t.Fatalf("compact: %v %v", started, err)
	}
	waitCompaction(t, db)
	db.Close()
	db = openAt(t, Options{Path: path})
	defer db.Close()
	if got := string(mustQuery(t, db, `["select","people"]`)); got != want {
		t.Fatalf("after compaction, without the command: %s", got)
	}
}

func waitCompaction(t testing.TB, db *DB) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for db.Compacting() {
		if time.Now().After(deadline) {
			t.Fatal("compaction did not finish")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
