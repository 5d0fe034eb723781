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

// TestStartQueryLargeInsert: an insert of many records taken by the
// server's write path (StartQuery, QueryBatch.Add) is parsed with the
// helpers, as Query parses it, and answers as Query would: all its records
// stored and logged; a malformed one declined (Query then reports the
// error) and a refused one answered with the error, both changing nothing.
func TestStartQueryLargeInsert(t *testing.T) {
	path := t.TempDir() + "/x.fdb"
	db := openTestWith(t, Options{Path: path})
	ctx := context.Background()
	request := func(lo, hi int, tail string) []byte {
		var sb strings.Builder
		sb.WriteString(`["insert","t",[`)
		for i := lo; i < hi; i++ {
			if i > lo {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, `{"id":%d,"pad":"%s"}`, i, strings.Repeat("p", 80))
		}
		sb.WriteString(tail)
		return []byte(sb.String())
	}
	count := func() string {
		out, err := db.Query(ctx, []byte(`["count","t"]`))
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	good := request(0, 600, "]]")
	if len(good) < 32<<10 {
		t.Fatalf("the request has %d bytes: too few to be parsed in two tasks", len(good))
	}
	done := make(chan string, 1)
	if !db.StartQuery(ctx, good, func(out []byte, err error) { done <- fmt.Sprintf("%s %v", out, err) }) {
		t.Fatal("StartQuery declined a large insert")
	}
	if got := <-done; got != "600 <nil>" {
		t.Fatalf("large insert: %s", got)
	}
	// A batch: the second insert repeats an id of the first and is refused whole.
	b := db.NewQueryBatch()
	var answers []string
	for _, req := range [][]byte{request(600, 1200, "]]"), request(1199, 1800, "]]")} {
		if !b.Add(ctx, req, func(out []byte, err error) { answers = append(answers, fmt.Sprintf("%s %v", out, err)) }) {
			t.Fatal("QueryBatch declined a large insert")
		}
	}
	b.Commit()
	if len(answers) != 2 || answers[0] != "600 <nil>" || !strings.Contains(answers[1], "Duplicated id: 1199") {
		t.Fatalf("batch answers %q", answers)
	}
	for _, bad := range [][]byte{
		request(5000, 5600, "]"),              // unterminated
		request(5000, 5600, `,{"id":1}}]]`),   // a stray brace
		request(5000, 5600, `,{"pad":"x"}]]`), // a record without an id
	} {
		// Declined (Query then reports the error), or taken and refused.
		refused := make(chan error, 1)
		if !db.StartQuery(ctx, bad, func(_ []byte, err error) { refused <- err }) {
			_, err := db.Query(ctx, bad)
			refused <- err
		}
		if err := <-refused; err == nil {
			t.Errorf("malformed large insert accepted: ...%s", bad[len(bad)-20:])
		}
	}
	if got := count(); got != "1200" {
		t.Fatalf("count %s, want 1200", got)
	}
	db.Close()
	db = openTestWith(t, Options{Path: path})
	if got := count(); got != "1200" {
		t.Fatalf("count after reopening %s, want 1200", got)
	}
}
