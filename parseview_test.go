package fleetdb

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
)

// writeVia runs the write req through Query, or through a QueryBatch as the
// server's loop does, and returns its answer.
func writeVia(t *testing.T, db *DB, req []byte, batch bool) []byte {
	t.Helper()
	if !batch {
		out, err := db.Query(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	b := db.NewQueryBatch()
	var (
		out []byte
		got error
	)
	// done runs in Commit when the writer is idle, else later on the
	// writer's goroutine: the request must not be touched before.
	answered := make(chan struct{})
	if !b.Add(context.Background(), req, func(o []byte, err error) { out, got = bytes.Clone(o), err; close(answered) }) {
		t.Fatal("the batch declined an insert")
	}
	b.Commit()
	<-answered
	if got != nil {
		t.Fatal(got)
	}
	return out
}

// scribble overwrites a request once its write is answered.
func scribble(b []byte) {
	for i := range b {
		b[i] = 'X'
	}
}

// TestWritesKeepNoRequestBytes: a standalone database parses an insert as a
// view of the request (query.ParseView), so nothing it keeps
// may refer to those bytes. Each request buffer is overwritten once its
// write is answered (a new collection, inserts, a duplicate, each through
// Query and through a QueryBatch as the server's loop uses it); then the
// records, the collections' names and the change feed's history must read
// as written.
func TestWritesKeepNoRequestBytes(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	var want []string
	for i := range 40 {
		coll := fmt.Sprintf("c%d", i%4)
		rec := fmt.Sprintf(`{"id":%d,"name":"n%d"}`, i, i)
		req := []byte(`["insert","` + coll + `",` + rec + `]`)
		writeVia(t, db, req, i%2 == 1)
		scribble(req)
		want = append(want, coll+" "+rec)
		dup := []byte(`["insert","` + coll + `",` + rec + `]`)
		_, err := db.Query(ctx, dup)
		if err == nil {
			t.Fatal("a duplicate id was inserted")
		}
		msg := err.Error()
		scribble(dup)
		if msg2 := err.Error(); msg2 != msg || bytes.Contains([]byte(msg2), []byte("XXX")) {
			t.Fatalf("the error changed with its request: %q, then %q", msg, msg2)
		}
	}
	if got := fmt.Sprint(db.value().Names()); got != "[c0 c1 c2 c3]" {
		t.Fatalf("collections %s", got)
	}
	var got []string
	for i := range 40 {
		coll := fmt.Sprintf("c%d", i%4)
		out, err := db.Query(ctx, []byte(fmt.Sprintf(`["select",%q,{"where":["=","id",%d]}]`, coll, i)))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, coll+" "+string(bytes.Trim(out, "[]")))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("records\n%v\nwant\n%v", got, want)
	}
	for c := range 4 {
		coll := fmt.Sprintf("c%d", c)
		f, err := db.Watch(ctx, coll, WatchOptions{From: 0, HasFrom: true})
		if err != nil {
			t.Fatal(err)
		}
		for i := c; i < 40; i += 4 {
			ev, err := f.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if w := fmt.Sprintf(`{"id":%d,"name":"n%d"}`, i, i); ev.Op != "insert" || string(ev.New) != w || string(ev.ID) != fmt.Sprint(i) {
				t.Fatalf("%s: event %s %s %s, want the insert of %s", coll, ev.Op, ev.ID, ev.New, w)
			}
		}
		f.Close()
	}
}

// TestBatchInsertsKeepNoRequestBytes: an insert of an array of records is
// parsed as a view of the request too (query.ParseView), records with
// white space in them compacted; batches large enough to be split among
// the writer's goroutines (collection.InsertMany) included, into a new
// collection and an existing one, through Query and through a QueryBatch.
// Once every request is overwritten, the records and the change feed's
// history must read as written.
func TestBatchInsertsKeepNoRequestBytes(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	record := func(id int) (sent, stored string) {
		if id%2 == 0 {
			return fmt.Sprintf(`{ "id": %d, "name": "n %d" }`, id, id), fmt.Sprintf(`{"id":%d,"name":"n %d"}`, id, id)
		}
		r := fmt.Sprintf(`{"id":%d,"name":"n %d"}`, id, id)
		return r, r
	}
	want := map[string][]string{}
	id := 0
	for j, size := range []int{1, 3, 300, 2, 500} {
		coll := fmt.Sprintf("b%d", j%2)
		req := []byte(`["insert","` + coll + `",[`)
		for k := range size {
			if k > 0 {
				req = append(req, ',')
			}
			sent, stored := record(id)
			req = append(req, sent...)
			want[coll] = append(want[coll], stored)
			id++
		}
		req = append(req, "]]"...)
		if out := writeVia(t, db, req, j%2 == 1); string(out) != fmt.Sprint(size) {
			t.Fatalf("batch %d: %s", j, out)
		}
		scribble(req)
	}
	for coll, recs := range want {
		out, err := db.Query(ctx, []byte(`["select","`+coll+`"]`))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range bytes.Split(bytes.Trim(out, "[]"), []byte("},")) {
			s := string(r)
			if s[len(s)-1] != '}' {
				s += "}"
			}
			got = append(got, s)
		}
		w := slices.Clone(recs)
		slices.Sort(got)
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Fatalf("%s: records\n%v\nwant\n%v", coll, got, w)
		}
		f, err := db.Watch(ctx, coll, WatchOptions{From: 0, HasFrom: true})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for range recs {
			ev, err := f.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			seen[string(ev.New)] = true
		}
		f.Close()
		for _, r := range recs {
			if !seen[r] {
				t.Fatalf("%s: the change feed lacks %s", coll, r)
			}
		}
	}
}
