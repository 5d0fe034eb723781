package fleetdb

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// TestWritesKeepNoRequestBytes: a standalone database parses a one-record
// insert as a view of the request (query.ParseView), so nothing it keeps
// may refer to those bytes. Each request buffer is overwritten once its
// write is answered (a new collection, inserts, a duplicate, each through
// Query and through a QueryBatch as the server's loop uses it); then the
// records, the collections' names and the change feed's history must read
// as written.
func TestWritesKeepNoRequestBytes(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	scribble := func(b []byte) {
		for i := range b {
			b[i] = 'X'
		}
	}
	var want []string
	for i := range 40 {
		coll := fmt.Sprintf("c%d", i%4)
		rec := fmt.Sprintf(`{"id":%d,"name":"n%d"}`, i, i)
		req := []byte(`["insert","` + coll + `",` + rec + `]`)
		if i%2 == 0 {
			if _, err := db.Query(ctx, req); err != nil {
				t.Fatal(err)
			}
		} else {
			b := db.NewQueryBatch()
			var got error
			if !b.Add(ctx, req, func(_ []byte, err error) { got = err }) {
				t.Fatal("the batch declined an insert")
			}
			b.Commit()
			if got != nil {
				t.Fatal(got)
			}
		}
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
