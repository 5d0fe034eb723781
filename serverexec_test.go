package fleetdb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestAppendQueryAndStartQuery: the two ways the server's event loop runs
// queries. AppendQuery runs reads at once, appending to dst, and declines
// writes; StartQuery starts writes, calling done once they are published,
// and declines reads; both answer as Query does.
func TestAppendQueryAndStartQuery(t *testing.T) {
	db := openTestWith(t, Options{Path: t.TempDir() + "/x.fdb"})
	ctx := context.Background()

	if out, ran, err := db.AppendQuery(ctx, []byte("x"), []byte(`["insert","t",{"id":1}]`)); ran || err != nil || string(out) != "x" {
		t.Fatalf("AppendQuery of a write: %q %v %v", out, ran, err)
	}
	if db.StartQuery(ctx, []byte(`["count","t"]`), func([]byte, error) { t.Error("done called for a read") }) {
		t.Fatal("StartQuery started a read")
	}
	done := make(chan string, 1)
	if !db.StartQuery(ctx, []byte(`["insert","t",{"id":1,"v":"a"}]`), func(out []byte, err error) {
		if err != nil {
			t.Error(err)
		}
		done <- string(out)
	}) {
		t.Fatal("StartQuery declined an insert")
	}
	if got := <-done; got != "1" {
		t.Fatalf("insert: %s", got)
	}
	// A refused write is answered through done, as Query would.
	refused := make(chan error, 1)
	db.StartQuery(ctx, []byte(`["insert","t",{"id":1}]`), func(_ []byte, err error) { refused <- err })
	if err := <-refused; err == nil {
		t.Fatal("duplicate id accepted")
	}
	for _, tc := range []struct{ req, want string }{
		{`["select","t",{"where":["=","id",1]}]`, `x[{"id":1,"v":"a"}]`},
		{`["count","t"]`, `x1`},
		{`["ping"]`, `x"pong"`},
		{" [ \"ping\"\t]\r ", `x"pong"`},
	} {
		out, ran, err := db.AppendQuery(ctx, []byte("x"), []byte(tc.req))
		if !ran || err != nil || string(out) != tc.want {
			t.Errorf("%s: %q %v %v, want %s", tc.req, out, ran, err, tc.want)
		}
	}
	for _, req := range []string{`["select"`, `["ping",1]`, `["ping"]]`, `["pingx"]`} {
		if _, ran, err := db.AppendQuery(ctx, nil, []byte(req)); !ran || err == nil {
			t.Errorf("malformed %s: ran %v, err %v", req, ran, err)
		}
	}
	db.Close()
	for _, req := range []string{`["count","t"]`, `["ping"]`} {
		if _, _, err := db.AppendQuery(ctx, nil, []byte(req)); !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v", req, err)
		}
	}
	if db.StartQuery(ctx, []byte(`["insert","t",{"id":2}]`), func([]byte, error) { t.Error("done after Close") }) {
		t.Error("StartQuery after Close")
	}
}

// TestQueryBatch: a batch takes writes only; Commit on an idle writer
// commits them together on the caller's goroutine (one fsync), answering
// each in order before it returns, refused ones as Query would; the
// requests are reused; after Close every added write gets ErrClosed.
func TestQueryBatch(t *testing.T) {
	db := openTestWith(t, Options{Path: t.TempDir() + "/x.fdb"})
	ctx := context.Background()
	b := db.NewQueryBatch()
	if b.Add(ctx, []byte(`["count","t"]`), func([]byte, error) { t.Error("done called for a read") }) {
		t.Fatal("Add took a read")
	}
	for round := range 3 {
		var got []string
		for _, req := range []string{`["insert","t",{"id":%d}]`, `["insert","t",{"id":%d}]`, `["update","t",{"v":1},{"where":["=","id",%d]}]`} {
			line := []byte(fmt.Sprintf(req, round))
			if !b.Add(ctx, line, func(out []byte, err error) {
				if err != nil {
					got = append(got, "err:"+err.Error())
					return
				}
				got = append(got, string(out))
			}) {
				t.Fatalf("Add declined %s", line)
			}
		}
		fsyncs := db.aof.Stats().Fsyncs
		b.Commit()
		if len(got) != 3 || got[0] != "1" || !strings.Contains(got[1], "Duplicated id") || got[2] != "1" {
			t.Fatalf("round %d: answers %q", round, got)
		}
		if n := db.aof.Stats().Fsyncs - fsyncs; n != 1 {
			t.Fatalf("round %d: %d fsyncs for one batch", round, n)
		}
	}
	if out, err := db.Query(ctx, []byte(`["count","t"]`)); err != nil || string(out) != "3" {
		t.Fatalf("count = %s, %v", out, err)
	}
	if wb := b.(*writeBatch); len(wb.free) != 3 {
		t.Errorf("%d requests kept for reuse, want 3", len(wb.free))
	}
	b.Add(ctx, []byte(`["insert","t",{"id":9}]`), func(_ []byte, err error) {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("write committed after Close: %v", err)
		}
	})
	db.Close()
	b.Commit()
}
