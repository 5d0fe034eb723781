package fleetdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/fleetdb-go/fleetdb/query"
)

// openTest opens an ephemeral database and checks its consistency when the
// test ends.
func openTest(t testing.TB) *DB {
	t.Helper()
	return openTestWith(t, Options{})
}

// openTestWith is openTest with options.
func openTestWith(t testing.TB, opts Options) *DB {
	t.Helper()
	db, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.value().Check(); err != nil {
			t.Errorf("consistency check: %v", err)
		}
		db.Close()
	})
	return db
}

func TestQueryErrorsCarryClasses(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	mustQuery(t, db, `["insert","p",{"id":1}]`)
	for _, tc := range []struct {
		req, prefix string
		kind        query.Kind
	}{
		{`["insert","p",{"id":1}]`, "Duplicated id: 1", query.KindDuplicateID},
		{`["insert","p",{"x":1}]`, "Record does not have an id", query.KindNoID},
		{`["nope"]`, "Malformed query: ", query.KindMalformedQuery},
		{`[`, "Malformed JSON: ", query.KindMalformedJSON},
	} {
		_, err := db.Query(ctx, []byte(tc.req))
		if !errors.Is(err, ErrRefused) || errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: error %v is not (only) ErrRefused", tc.req, err)
		}
		var qe *query.Error
		if !errors.As(err, &qe) || qe.Kind != tc.kind || len(qe.Msg) < len(tc.prefix) || qe.Msg[:len(tc.prefix)] != tc.prefix {
			t.Errorf("%s: got %#v, want kind %d and prefix %q", tc.req, err, tc.kind, tc.prefix)
		}
	}
	db.Close()
	_, err := db.Query(ctx, []byte(`["ping"]`))
	if !errors.Is(err, ErrClosed) || !errors.Is(err, ErrUnavailable) {
		t.Errorf("after Close: %v, want ErrClosed matching ErrUnavailable", err)
	}
}

func TestCanceledContextWritesNothing(t *testing.T) {
	db := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.Query(ctx, []byte(`["insert","p",{"id":1}]`)); !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	if out := mustQuery(t, db, `["count","p"]`); string(out) != "0" {
		t.Fatalf("count = %s after a canceled insert", out)
	}
}

func TestSnapshotDoesNotSeeLaterWrites(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	mustQuery(t, db, `["insert","p",[{"id":1,"v":1},{"id":2,"v":2}]]`)
	mustQuery(t, db, `["create-index","p","v"]`)
	snap := db.Snapshot()
	mustQuery(t, db, `["update","p",{"v":10},{"where":["=","id",1]}]`)
	mustQuery(t, db, `["insert","p",{"id":3,"v":3}]`)
	mustQuery(t, db, `["drop-index","p","v"]`)
	out, err := snap.Query(ctx, []byte(`["select","p",{"where":[">","v",0],"order":["v","asc"]}]`))
	if err != nil || string(out) != `[{"id":1,"v":1},{"id":2,"v":2}]` {
		t.Fatalf("snapshot select = %s, %v", out, err)
	}
	out, _ = snap.Query(ctx, []byte(`["list-indexes","p"]`))
	if string(out) != `["v"]` {
		t.Fatalf("snapshot indexes = %s", out)
	}
	if _, err := snap.Query(ctx, []byte(`["insert","p",{"id":9}]`)); !errors.Is(err, ErrRefused) {
		t.Fatalf("write on snapshot: %v", err)
	}
	if out := mustQuery(t, db, `["count","p"]`); string(out) != "3" {
		t.Fatalf("db count = %s", out)
	}
}

// TestConcurrentReadersSeeWholeWrites runs writers that move a fixed total
// between records with multi-write while readers check that every value
// they load has the total: no reader ever sees half a write.
func TestConcurrentReadersSeeWholeWrites(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	mustQuery(t, db, `["insert","acct",[{"id":0,"bal":100},{"id":1,"bal":100},{"id":2,"bal":100},{"id":3,"bal":100}]]`)
	mustQuery(t, db, `["create-index","acct","bal"]`)
	// move zeroes one balance and adds the difference to another, reading
	// inside its own write.
	if err := db.Register("move", func(tx *Tx, args []json.RawMessage) (any, error) {
		var from, to int
		json.Unmarshal(args[0], &from)
		json.Unmarshal(args[1], &to)
		if _, err := tx.Exec([]any{"update", "acct", map[string]any{"bal": 0}, map[string]any{"where": []any{"=", "id", from}}}); err != nil {
			return nil, err
		}
		// Read inside the write: sees the change just made.
		out, err := tx.Exec([]any{"select", "acct", map[string]any{"only": "bal", "order": []any{"id", "asc"}}})
		if err != nil {
			return nil, err
		}
		var bals []int
		json.Unmarshal(out, &bals)
		sum := 0
		for _, b := range bals {
			sum += b
		}
		_, err = tx.Exec([]any{"update", "acct", map[string]any{"bal": bals[to] + (400 - sum)}, map[string]any{"where": []any{"=", "id", to}}})
		return sum, err
	}); err != nil {
		t.Fatal(err)
	}
	var writers, readers sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 2; w++ {
		writers.Add(1)
		go func(w int) {
			defer writers.Done()
			for i := 0; i < 300; i++ {
				from, to := (i+w)%4, (i+w+1)%4
				q := fmt.Sprintf(`["call","move",%d,%d]`, from, to)
				if _, err := db.Query(ctx, []byte(q)); err != nil {
					t.Error(err)
				}
			}
		}(w)
	}
	for r := 0; r < 2; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var bals []int
				out, err := db.Query(ctx, []byte(`["select","acct",{"where":[">=","bal",0],"only":"bal"}]`))
				if err != nil {
					t.Error(err)
					return
				}
				json.Unmarshal(out, &bals)
				sum := 0
				for _, b := range bals {
					sum += b
				}
				if sum != 400 || len(bals) != 4 {
					t.Errorf("reader saw %v (sum %d)", bals, sum)
					return
				}
			}
		}()
	}
	writers.Wait()
	close(stop)
	readers.Wait()
	if out := mustQuery(t, db, `["select","acct",{"only":"bal"}]`); string(out) == "" {
		t.Fatal("no balances")
	}
}

func TestUserCommandFailureChangesNothing(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	mustQuery(t, db, `["insert","p",{"id":1,"v":1}]`)
	db.Register("half", func(tx *Tx, args []json.RawMessage) (any, error) {
		if _, err := tx.Query(`["insert","p",{"id":2}]`); err != nil {
			return nil, err
		}
		if _, err := tx.Query(`["update","p",{"v":99},{}]`); err != nil {
			return nil, err
		}
		return nil, errors.New("changed my mind")
	})
	db.Register("boom", func(tx *Tx, args []json.RawMessage) (any, error) {
		tx.Query(`["delete","p"]`)
		panic("bug")
	})
	before := mustQuery(t, db, `["select","p"]`)
	for _, name := range []string{"half", "boom"} {
		_, err := db.Call(ctx, name)
		var qe *query.Error
		if !errors.As(err, &qe) || qe.Kind != query.KindCommand {
			t.Fatalf("%s: %v", name, err)
		}
		if after := mustQuery(t, db, `["select","p"]`); string(after) != string(before) {
			t.Fatalf("%s changed the database: %s", name, after)
		}
	}
	if _, err := db.Call(ctx, "missing"); !errors.Is(err, ErrRefused) {
		t.Fatalf("unknown command: %v", err)
	}
}

func TestTypedAPI(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	type rec struct {
		ID   any    `json:"id"`
		Name string `json:"name,omitempty"`
		Age  int    `json:"age,omitempty"`
	}
	n, err := db.Insert(ctx, "p", rec{ID: 1, Name: "a", Age: 10}, rec{ID: 2, Name: "b", Age: 20}, rec{ID: "x", Name: "c", Age: 30})
	if err != nil || n != 3 {
		t.Fatalf("insert: %d %v", n, err)
	}
	if _, err := db.Insert(ctx, "p", rec{ID: 1}); !errors.Is(err, ErrRefused) {
		t.Fatalf("duplicate: %v", err)
	}
	if ok, err := db.CreateIndex(ctx, "p", IndexSpec{Desc("age")}); !ok || err != nil {
		t.Fatalf("create index: %v %v", ok, err)
	}
	if ok, _ := db.CreateIndex(ctx, "p", IndexSpec{Desc("age")}); ok {
		t.Fatal("index created twice")
	}
	var got []rec
	err = db.SelectInto(ctx, "p", Find{Where: Or(Lt("age", 15), Eq("name", "c")), Order: []Order{Desc("age")}}, &got)
	if err != nil || len(got) != 2 || got[0].Name != "c" || got[1].Name != "a" {
		t.Fatalf("select: %+v %v", got, err)
	}
	if n, _ := db.UpdateWhere(ctx, "p", map[string]any{"age": nil}, Find{Where: In("id", 1, 2)}); n != 2 {
		t.Fatalf("update = %d", n)
	}
	if n, _ := db.Count(ctx, "p", Find{Where: Eq("age", nil)}); n != 2 {
		t.Fatalf("count missing age = %d", n)
	}
	if r, _ := db.Get(ctx, "p", "x"); string(r) != `{"id":"x","name":"c","age":30}` {
		t.Fatalf("get = %s", r)
	}
	if n, _ := db.Delete(ctx, "p", Find{Where: Range("age", Incl(0), Incl(100))}); n != 1 {
		t.Fatalf("delete = %d", n)
	}
	if names, _ := db.Snapshot().ListCollections(ctx); len(names) != 1 || names[0] != "p" {
		t.Fatalf("collections = %v", names)
	}
	if ok, _ := db.DropCollection(ctx, "p"); !ok {
		t.Fatal("drop collection")
	}
	if names, _ := db.Snapshot().ListCollections(ctx); len(names) != 0 {
		t.Fatalf("collections after drop = %v", names)
	}
}

func TestMetricsSnapshot(t *testing.T) {
	db := openTest(t)
	mustQuery(t, db, `["insert","p",[{"id":1},{"id":2}]]`)
	mustQuery(t, db, `["insert","q",{"id":1}]`)
	m := db.MetricsSnapshot()
	if m["records"] != 3 || m["collections"] != 2 || m["writes_total"] != 2 || m["persistent"] != 0 {
		t.Fatalf("metrics = %v", m)
	}
}
