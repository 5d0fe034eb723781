package fleetdb

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"
)

// TestGetByIDMatchesSelect: the typed Get looks numbers and strings up
// directly; every id must find what a select with ["=","id",id] finds, for
// every Go type, including those that take the general path.
func TestGetByIDMatchesSelect(t *testing.T) {
	db, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	mustQuery(t, db, `["insert","t",[{"id":1},{"id":-7},{"id":0},{"id":2.5},{"id":1e20},{"id":1152921504606846976},
		{"id":1152921504606847000},{"id":18446744073709551615},{"id":1e-7},{"id":9007199254740993},
		{"id":"a"},{"id":"<&>"},{"id":""},{"id":"é"},{"id":"\ufffd"},{"id":0.1}]]`)
	type myInt int
	ids := []any{1, int8(-7), int16(0), int32(1), int64(-7), uint(1), uint8(0), uint16(1), uint32(1), uint64(math.MaxUint64),
		2.5, 1e20, 1.0, -0.0, 0.0, float64(1 << 60), 1152921504606847000.0, 1e-7, 9007199254740993, float64(9007199254740993),
		"a", "<&>", "", "é", "\xff", "b", float32(0.1), 0.1, json.Number("1"), myInt(1), true, nil, []int{1},
		math.NaN(), math.Inf(1)}
	snap := db.Snapshot()
	for _, id := range ids {
		got, gerr := db.Get(ctx, "t", id)
		recs, werr := snap.Select(ctx, "t", Find{Where: Eq("id", id)})
		var want json.RawMessage
		if len(recs) > 0 {
			want = recs[0]
		}
		if string(got) != string(want) || (gerr == nil) != (werr == nil) {
			t.Errorf("Get(%T %v) = %s, %v; select finds %s, %v", id, id, got, gerr, want, werr)
		}
		if got, err := snap.Get(ctx, "t", id); string(got) != string(want) || (err == nil) != (werr == nil) {
			t.Errorf("Snapshot.Get(%T %v) = %s, %v; select finds %s, %v", id, id, got, err, want, werr)
		}
	}
	if _, err := db.Get(ctx, "", 1); err == nil {
		t.Error("Get on an empty collection name: no error")
	}
	if rec, err := db.Get(ctx, "missing", 1); rec != nil || err != nil {
		t.Errorf("Get on a missing collection = %s, %v", rec, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.Get(cctx, "t", 1); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Get with a canceled context: %v", err)
	}
	if _, err := db.Query(cctx, []byte(`["select","t",{"where":["=","id",1]}]`)); !errors.Is(err, ErrUnavailable) {
		t.Errorf("point query with a canceled context: %v", err)
	}
	db.Close()
	if _, err := db.Get(ctx, "t", 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close: %v", err)
	}
	if _, err := db.Query(ctx, []byte(`["select","t",{"where":["=","id",1]}]`)); !errors.Is(err, ErrClosed) {
		t.Errorf("point query after Close: %v", err)
	}
}

// TestPointQueryMatchesSnapshot: db.Query answers point selects from the
// text; a snapshot's Query always parses. Both must agree, and a point
// whose attribute no index covers still gets its answer.
func TestPointQueryMatchesSnapshot(t *testing.T) {
	db, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	mustQuery(t, db, `["create-index","p","email"]`)
	mustQuery(t, db, `["create-index","p",[["city","desc"],"age"]]`)
	mustQuery(t, db, `["insert","p",[{"id":1,"email":"a@x","city":"c1","age":3},{"id":2,"email":"b@x","city":"c1","age":1},
		{"id":"k","email":"a@x","city":"c2","age":2,"name":"n"},{"id":4,"city":"c1"}]]`)
	snap := db.Snapshot()
	for _, req := range []string{
		`["select","p",{"where":["=","id",1]}]`,
		`["select","p",{"where":["=","id",1.0]}]`,
		`["select","p",{"where":["=","id","k"]}]`,
		`["select","p",{"where":["=","id",3]}]`,
		`["select","p",{"where":["=","email","a@x"]}]`,
		`["select","p",{"where":["=","city","c1"]}]`,
		`["select","p",{"where":["=","name","n"]}]`,
		`["select","p",{"where":["=","age",2]}]`,
		`["select","q",{"where":["=","id",1]}]`,
		` [ "select" , "p" , { "where" : [ "=" , "email" , "b@x" ] } ] `,
	} {
		got, err := db.Query(ctx, []byte(req))
		want, werr := snap.Query(ctx, []byte(req))
		if err != nil || werr != nil || string(got) != string(want) {
			t.Errorf("%s: Query %s (%v), snapshot %s (%v)", req, got, err, want, werr)
		}
	}
	for _, req := range []string{
		`["select","p",{"where":["=","a..b",1]}]`,
		`["select","",{"where":["=","id",1]}]`,
	} {
		_, err := db.Query(ctx, []byte(req))
		_, werr := snap.Query(ctx, []byte(req))
		if err == nil || werr == nil || err.Error() != werr.Error() {
			t.Errorf("%s: Query %v, snapshot %v", req, err, werr)
		}
	}
}

// TestSplitArrayMatchesUnmarshal: Select cuts its result into elements
// itself; every shape of element must come out as json.Unmarshal cut it.
func TestSplitArrayMatchesUnmarshal(t *testing.T) {
	for _, out := range []string{`[]`, `[1]`, `[{"id":1,"s":"a,b]}"},{"id":2}]`, `[null,true,"x\"],[",[1,[2]],{"a":{"b":[]}},-1.5e3]`,
		`[ 1 , "a" ]`, `[[]]`, `[""]`} {
		var want []json.RawMessage
		if err := json.Unmarshal([]byte(out), &want); err != nil {
			t.Fatal(err)
		}
		got := splitArray([]byte(out))
		if len(got) != len(want) || (got == nil) != (want == nil) {
			t.Fatalf("%s: %d elements %q, want %d %q", out, len(got), got, len(want), want)
		}
		for i := range got {
			if string(got[i]) != string(want[i]) || cap(got[i]) != len(got[i]) {
				t.Fatalf("%s: element %d = %s (cap %d), want %s", out, i, got[i], cap(got[i]), want[i])
			}
		}
	}
}

func TestGetInto(t *testing.T) {
	db, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	mustQuery(t, db, `["insert","p",[{"id":1,"name":"a","tags":["x"]},{"id":"k","name":"b"}]]`)
	type person struct {
		ID   any      `json:"id"`
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}
	var p person
	if err := db.GetInto(ctx, "p", 1, &p); err != nil || p.Name != "a" || len(p.Tags) != 1 {
		t.Fatalf("GetInto(1) = %v, %+v", err, p)
	}
	if err := db.Snapshot().GetInto(ctx, "p", "k", &p); err != nil || p.Name != "b" {
		t.Fatalf("GetInto(k) = %v, %+v", err, p)
	}
	p = person{Name: "kept"}
	if err := db.GetInto(ctx, "p", 2, &p); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrRefused) || errors.Is(err, ErrUnavailable) || p.Name != "kept" {
		t.Fatalf("GetInto(2) = %v, %+v", err, p)
	}
	var wrong struct{ Name int }
	if err := db.GetInto(ctx, "p", 1, &wrong); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("GetInto into a mismatched type = %v", err)
	}
	db.Close()
	if err := db.GetInto(ctx, "p", 1, &p); !errors.Is(err, ErrClosed) {
		t.Fatalf("GetInto after Close: %v", err)
	}
}
