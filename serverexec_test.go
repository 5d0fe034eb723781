package fleetdb

import (
	"context"
	"errors"
	"testing"
)

// TestAppendQueryAndStartQuery: the two ways the server's event loop runs
// queries. AppendQuery runs reads at once, appending to dst, and declines
// writes; StartQuery starts writes, calling done once they are published,
// and declines reads; both answer as Query does.
func TestAppendQueryAndStartQuery(t *testing.T) {
	db, err := Open(Options{Path: t.TempDir() + "/x.fdb"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
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
	} {
		out, ran, err := db.AppendQuery(ctx, []byte("x"), []byte(tc.req))
		if !ran || err != nil || string(out) != tc.want {
			t.Errorf("%s: %q %v %v, want %s", tc.req, out, ran, err, tc.want)
		}
	}
	if _, ran, err := db.AppendQuery(ctx, nil, []byte(`["select"`)); !ran || err == nil {
		t.Errorf("malformed: ran %v, err %v", ran, err)
	}
	db.Close()
	if _, _, err := db.AppendQuery(ctx, nil, []byte(`["count","t"]`)); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	if db.StartQuery(ctx, []byte(`["insert","t",{"id":2}]`), func([]byte, error) { t.Error("done after Close") }) {
		t.Error("StartQuery after Close")
	}
}
