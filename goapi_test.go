package fleetdb

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/query"
)

// Records as a newcomer writes them: no json tags at all.
type untaggedPerson struct {
	ID   int
	Name string
	Age  int
}

type taggedPerson struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

func openAPITest(t *testing.T) (*DB, context.Context) {
	t.Helper()
	db, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, context.Background()
}

func TestInsertSliceArgument(t *testing.T) {
	db, ctx := openAPITest(t)
	people := []taggedPerson{{1, "Bob"}, {2, "Amy"}, {3, "Cy"}}
	if n, err := db.Insert(ctx, "people", people); n != 3 || err != nil {
		t.Fatalf("Insert(slice) = %d, %v", n, err)
	}
	if n, err := db.Put(ctx, "people", []*taggedPerson{{1, "Bob2"}, {4, "Di"}}); n != 2 || err != nil {
		t.Fatalf("Put(slice of pointers) = %d, %v", n, err)
	}
	if n, err := db.Insert(ctx, "people", [1]map[string]any{{"id": 5}}); n != 1 || err != nil {
		t.Fatalf("Insert(array) = %d, %v", n, err)
	}
	if n, err := db.Insert(ctx, "people", []taggedPerson{}); n != 0 || err != nil {
		t.Fatalf("Insert(empty slice) = %d, %v", n, err)
	}
	var got []taggedPerson
	if err := db.SelectInto(ctx, "people", Find{Order: []Order{Asc("id")}, Limit: 4}, &got); err != nil {
		t.Fatal(err)
	}
	if want := []taggedPerson{{1, "Bob2"}, {2, "Amy"}, {3, "Cy"}, {4, "Di"}}; !equalJSON(got, want) {
		t.Fatalf("records = %+v, want %+v", got, want)
	}
	// Two arguments are two records, even if one is a slice: refused whole.
	if _, err := db.Insert(ctx, "people", taggedPerson{6, "Ed"}, []taggedPerson{{7, "Fa"}}); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "record 1 is not an object, got an array") {
		t.Fatalf("Insert(record, slice) = %v", err)
	}
	// In a transaction too.
	err := db.Update(ctx, func(tx *Tx) error {
		n, err := tx.Insert("tx", []untaggedPerson{{1, "a", 1}, {2, "b", 2}})
		if n != 2 {
			t.Errorf("Tx.Insert(slice) = %d", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := db.Count(ctx, "tx", Find{}); n != 2 {
		t.Fatalf("tx count = %d", n)
	}
}

func TestInsertUntaggedIDField(t *testing.T) {
	db, ctx := openAPITest(t)
	if n, err := db.Insert(ctx, "people", untaggedPerson{ID: 7, Name: "Bob", Age: 40}); n != 1 || err != nil {
		t.Fatalf("Insert(untagged ID) = %d, %v", n, err)
	}
	rec, err := db.Get(ctx, "people", 7)
	if err != nil || string(rec) != `{"id":7,"Name":"Bob","Age":40}` {
		t.Fatalf("Get(7) = %s, %v", rec, err)
	}
	var p untaggedPerson
	if err := db.GetInto(ctx, "people", 7, &p); err != nil || p != (untaggedPerson{7, "Bob", 40}) {
		t.Fatalf("GetInto(7) = %v, %+v", err, p)
	}
	// The id is the id: a second insert of it is a duplicate.
	if _, err := db.Insert(ctx, "people", &untaggedPerson{ID: 7}); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "Duplicated id: 7") {
		t.Fatalf("duplicate = %v", err)
	}
}

func TestInsertMissingIDSaysWhy(t *testing.T) {
	type upper struct {
		ID   int `json:"ID"`
		Name string
	}
	type skipped struct {
		ID   int `json:"-"`
		Name string
	}
	for _, tc := range []struct {
		name string
		recs []any
		want string
	}{
		{"explicit ID tag", []any{taggedPerson{1, "a"}, upper{2, "b"}},
			`fleetdb: insert people: record 1 has no "id" attribute; its struct field ID marshals as "ID": tag it json:"id": Record does not have an id`},
		{"json dash", []any{skipped{1, "a"}},
			`fleetdb: insert people: record 0 has no "id" attribute; its struct field ID is tagged json:"-", so it is left out: tag it json:"id": Record does not have an id`},
		{"map with ID", []any{map[string]any{"ID": 1}},
			`fleetdb: insert people: record 0 has no "id" attribute; it has the key "ID": the id attribute is "id", in lower case: Record does not have an id`},
		{"no id at all", []any{[]map[string]any{{"id": 1}, {"name": "x", "age": 3}}},
			`fleetdb: insert people: record 1 has no "id" attribute; its attributes are age, name: Record does not have an id`},
	} {
		db, ctx := openAPITest(t)
		_, err := db.Insert(ctx, "people", tc.recs...)
		var qe *query.Error
		if err == nil || err.Error() != tc.want || !errors.Is(err, ErrRefused) || !errors.As(err, &qe) || qe.Kind != query.KindNoID {
			t.Errorf("%s: Insert = %v\nwant %s", tc.name, err, tc.want)
		}
		if n, _ := db.Count(ctx, "people", Find{}); n != 0 {
			t.Errorf("%s: a refused insert left %d records", tc.name, n)
		}
	}
}

func TestRangeBounds(t *testing.T) {
	db, ctx := openAPITest(t)
	for i := 1; i <= 5; i++ {
		if _, err := db.Insert(ctx, "n", map[string]any{"id": i, "v": i}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		c    Cond
		want string
	}{
		{Range("v", Incl(2), Incl(4)), "[2,3,4]"},
		{Range("v", Incl(2), Excl(4)), "[2,3]"},
		{Range("v", Excl(2), Incl(4)), "[3,4]"},
		{Range("v", Excl(2), Excl(4)), "[3]"},
		{Between("v", 2, 4, true, false), "[2,3]"}, // the deprecated form still works
	} {
		var ids []int
		if err := db.SelectInto(ctx, "n", Find{Where: tc.c, Order: []Order{Asc("v")}, Pluck: "id"}, &ids); err != nil {
			t.Fatal(err)
		}
		if got, _ := json.Marshal(ids); string(got) != tc.want {
			t.Errorf("%s: got %s, want %s", tc.c.expr, got, tc.want)
		}
	}
}

func TestFindMarshalsToQueryLanguage(t *testing.T) {
	f := Find{Where: And(Eq("city", "Oslo"), Range("age", Incl(30), Excl(40))), Order: []Order{Desc("age"), Asc("id")}, Limit: 2, Only: []string{"id"}}
	b, err := json.Marshal(f)
	want := `{"limit":2,"only":["id"],"order":[["age","desc"],["id","asc"]],"where":["and",["=","city","Oslo"],[">=<","age",[30,40]]]}`
	if err != nil || !sameJSON(string(b), want) {
		t.Fatalf("Find marshals to %s, %v; want %s", b, err, want)
	}
	// Its own method leaves the operators unescaped (">=<", not "\u003e=\u003c"),
	// so the query a client sends reads as written.
	if b, err := f.MarshalJSON(); err != nil || string(b) != want {
		t.Fatalf("Find.MarshalJSON = %s, %v; want %s", b, err, want)
	}
	if b, _ := json.Marshal(Find{}); string(b) != "{}" {
		t.Fatalf("zero Find marshals to %s", b)
	}
	if b, _ := json.Marshal(Cond{}); string(b) != "null" {
		t.Fatalf("zero Cond marshals to %s", b)
	}
}

func TestTxGetInto(t *testing.T) {
	db, ctx := openAPITest(t)
	err := db.Update(ctx, func(tx *Tx) error {
		if _, err := tx.Insert("p", taggedPerson{1, "a"}); err != nil {
			return err
		}
		var p taggedPerson
		if err := tx.GetInto("p", 1, &p); err != nil || p.Name != "a" {
			t.Errorf("Tx.GetInto(1) = %v, %+v", err, p)
		}
		if err := tx.GetInto("p", 2, &p); !errors.Is(err, ErrNotFound) {
			t.Errorf("Tx.GetInto(2) = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Get keeps its answer for a missing record: nil and no error.
	if rec, err := db.Get(ctx, "p", 2); rec != nil || err != nil {
		t.Fatalf("Get(missing) = %s, %v", rec, err)
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// sameJSON compares JSON texts as values (json.Marshal escapes < and >).
func sameJSON(a, b string) bool {
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && equalJSON(x, y)
}

// TestWatchWhereForms: WatchOptions.Where takes a Cond, JSON text or a Go
// value, as client.WatchOptions does, and each filters alike.
func TestWatchWhereForms(t *testing.T) {
	db, ctx := openAPITest(t)
	forms := []any{Eq("c", "x"), []byte(`["=","c","x"]`), json.RawMessage(`["=","c","x"]`), []any{"=", "c", "x"}}
	var feeds []*Feed
	for _, w := range forms {
		f, err := db.Watch(ctx, "w", WatchOptions{Where: w})
		if err != nil {
			t.Fatalf("Watch(Where: %T): %v", w, err)
		}
		defer f.Close()
		feeds = append(feeds, f)
	}
	all, err := db.Watch(ctx, "w", WatchOptions{Where: Cond{}}) // the zero Cond: every record
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()
	if _, err := db.Insert(ctx, "w", []map[string]any{{"id": 1, "c": "y"}, {"id": 2, "c": "x"}}); err != nil {
		t.Fatal(err)
	}
	for i, f := range feeds {
		ev, err := f.Next(ctx)
		if err != nil || string(ev.ID) != "2" {
			t.Errorf("feed %d (%T): %+v, %v", i, forms[i], ev, err)
		}
	}
	if ev, err := all.Next(ctx); err != nil || string(ev.ID) != "1" {
		t.Errorf("unfiltered feed: %+v, %v", ev, err)
	}
	if _, err := db.Watch(ctx, "w", WatchOptions{Where: func() {}}); !errors.Is(err, ErrRefused) {
		t.Errorf("Watch with a Where that does not marshal: %v", err)
	}
}
