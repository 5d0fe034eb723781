package fleetdb

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/query"
)

// TestAppendReadsMatchesAppendQuery offers random batches of lines, mostly
// point reads by id (present, missing, string and number ids, two
// collections) mixed with other queries, to AppendReads, and checks that
// it answers exactly the longest prefix of point reads of one collection,
// each line as AppendQuery answers it, and leaves dst alone otherwise.
func TestAppendReadsMatchesAppendQuery(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	mustQuery(t, db, `["create-index","a","email"]`)
	for i := range 300 {
		mustQuery(t, db, fmt.Sprintf(`["insert","a",{"id":%d,"email":"u%d@x","v":%q}]`, i, i, strings.Repeat("v", i%40)))
		mustQuery(t, db, fmt.Sprintf(`["insert","b",{"id":"k%d","n":%d}]`, i, i))
	}
	// Deleted records leave tombstones in the deltas.
	mustQuery(t, db, `["delete","a",{"where":["<","id",20]}]`)
	rng := rand.New(rand.NewPCG(1, 2))
	line := func() (string, bool) { // the line, and whether it is a point read by id
		switch k := rng.IntN(20); {
		case k < 12:
			return fmt.Sprintf(`["select","a",{"where":["=","id",%d]}]`, rng.IntN(340)), true
		case k < 15:
			return fmt.Sprintf(`["select","b",{"where":["=","id","k%d"]}]`, rng.IntN(340)), true
		case k == 15:
			return fmt.Sprintf(`["select","a",{"where":["=","id",%d],"limit":1}]`, rng.IntN(340)), true
		case k == 16:
			return fmt.Sprintf(`["select","a",{"where":["=","email","u%d@x"]}]`, rng.IntN(340)), false
		case k == 17:
			return `["select","a",{"where":["=","id",5],"limit":0}]`, false
		case k == 18:
			return `["count","a"]`, false
		}
		return `["select","nope",{"where":["=","id",1]}]`, true
	}
	answered := 0
	for round := range 3000 {
		lines := make([][]byte, 1+rng.IntN(80))
		reads := make([]bool, len(lines))
		for i := range lines {
			s, ok := line()
			lines[i], reads[i] = []byte(s), ok
		}
		// The prefix AppendReads must answer: point reads by id of the
		// first line's collection, at most readsMax, if two or more.
		want := 0
		for want < min(len(lines), readsMax) && reads[want] && collOf(lines[want]) == collOf(lines[0]) {
			want++
		}
		if want < 2 {
			want = 0
		}
		pre, post := []byte("<"), []byte(">\n")
		dst := []byte("head")
		out, n := db.AppendReads(ctx, dst, lines, pre, post)
		if n != want {
			t.Fatalf("round %d: answered %d lines, want %d: %s", round, n, want, lines[:min(len(lines), want+1)])
		}
		exp := []byte("head")
		for _, l := range lines[:n] {
			exp = append(exp, pre...)
			var ran bool
			var err error
			exp, ran, err = db.AppendQuery(ctx, exp, l)
			if !ran || err != nil {
				t.Fatalf("AppendQuery(%s): ran %v, %v", l, ran, err)
			}
			exp = append(exp, post...)
		}
		if string(out) != string(exp) {
			t.Fatalf("round %d: AppendReads gave\n%s\nwant\n%s", round, out, exp)
		}
		answered += n
	}
	if answered < 1000 {
		t.Fatalf("only %d lines answered in batches: the test does not exercise AppendReads", answered)
	}
}

// collOf returns the collection of a select line ("" for others).
func collOf(line []byte) string {
	s := string(line)
	if !strings.HasPrefix(s, `["select","`) {
		return ""
	}
	s = s[len(`["select","`):]
	return s[:strings.IndexByte(s, '"')]
}

// TestAppendReadsDeclines: a closed database, a single line and a batch
// that starts with anything but a point read are declined with dst
// unchanged.
func TestAppendReadsDeclines(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	mustQuery(t, db, `["insert","a",{"id":1}]`)
	get := []byte(`["select","a",{"where":["=","id",1]}]`)
	for _, tc := range []struct {
		name  string
		lines [][]byte
	}{
		{"one line", [][]byte{get}},
		{"a write first", [][]byte{[]byte(`["insert","a",{"id":2}]`), get, get}},
		{"a ping first", [][]byte{[]byte(`["ping"]`), get, get}},
		{"malformed first", [][]byte{[]byte(`["select"`), get, get}},
	} {
		if out, n := db.AppendReads(ctx, []byte("x"), tc.lines, nil, nil); n != 0 || string(out) != "x" {
			t.Errorf("%s: answered %d, dst %q", tc.name, n, out)
		}
	}
	if out, n := db.AppendReads(ctx, nil, [][]byte{get, get}, nil, nil); n != 2 || string(out) != `[{"id":1}][{"id":1}]` {
		t.Errorf("two reads: answered %d: %q", n, out)
	}
	db.Close()
	if out, n := db.AppendReads(ctx, []byte("x"), [][]byte{get, get}, nil, nil); n != 0 || string(out) != "x" {
		t.Errorf("closed: answered %d, dst %q", n, out)
	}
}

// TestAppendReadsDoesNotAllocate: with room in dst, a batch of point reads
// allocates nothing.
func TestAppendReadsDoesNotAllocate(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	lines := make([][]byte, 32)
	for i := range lines {
		mustQuery(t, db, fmt.Sprintf(`["insert","a",{"id":%d,"v":"some value"}]`, i))
		lines[i] = fmt.Appendf(nil, `["select","a",{"where":["=","id",%d]}]`, i)
	}
	dst := make([]byte, 0, 1<<16)
	allocs := testing.AllocsPerRun(100, func() {
		if _, n := db.AppendReads(ctx, dst, lines, []byte("[0,"), []byte("]\r\n")); n != len(lines) {
			t.Fatalf("answered %d of %d", n, len(lines))
		}
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per batch, want 0", allocs)
	}
}

// FuzzAppendReads splits its input into lines and offers them to
// AppendReads: it must answer exactly the lines AppendQuery answers, the
// same way, and only a prefix of point reads by id of one collection.
func FuzzAppendReads(f *testing.F) {
	for _, seed := range []string{
		`["select","a",{"where":["=","id",1]}]` + "\n" + `["select","a",{"where":["=","id",2]}]`,
		`["select","a",{"where":["=","id",1.0]}]` + "\n" + `["select","a",{"where":["=","id",-0]}]` + "\n" + `["select","a",{"where":["=","id",1e0]}]`,
		`["select","b",{"where":["=","id","k1"]}]` + "\n" + `[ "select" , "b" , {"where":["=","id","k2"],"limit":1} ]`,
		`["select","a",{"where":["=","id",1],"limit":0}]` + "\n" + `["select","a",{"where":["=","id",1]}]`,
		`["select","a",{"where":["=","id",3]}]` + "\n" + `["select","b",{"where":["=","id","k3"]}]`,
		`["select","a",{"where":["=","id","\u0031"]}]` + "\n" + `["select","a",{"where":["=","id",1]}]`,
	} {
		f.Add([]byte(seed))
	}
	db := openTest(f)
	ctx := context.Background()
	for i := range 5 {
		mustQuery(f, db, fmt.Sprintf(`["insert","a",{"id":%d,"n":%d}]`, i, i))
		mustQuery(f, db, fmt.Sprintf(`["insert","b",{"id":"k%d"}]`, i))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		lines := bytes.Split(in, []byte("\n"))
		out, n := db.AppendReads(ctx, []byte("x"), lines, []byte("<"), []byte(">"))
		if n < 0 || n > len(lines) || n == 1 {
			t.Fatalf("answered %d of %d lines", n, len(lines))
		}
		if n == 0 {
			if string(out) != "x" {
				t.Fatalf("answered nothing but appended %q", out[1:])
			}
			if len(lines) >= 2 {
				p0, ok0 := parsePoint(lines[0])
				p1, ok1 := parsePoint(lines[1])
				if ok0 && ok1 && p0.ByID() && p1.ByID() && string(p0.Collection()) == string(p1.Collection()) {
					t.Fatalf("declined two reads by id of %q", p0.Collection())
				}
			}
			return
		}
		exp := []byte("x")
		var coll string
		for i, l := range lines[:n] {
			p, ok := parsePoint(l)
			if !ok || !p.ByID() || (i > 0 && string(p.Collection()) != coll) {
				t.Fatalf("answered line %d %q, which is not a read by id of %q", i, l, coll)
			}
			coll = string(p.Collection())
			exp = append(exp, '<')
			var ran bool
			var err error
			if exp, ran, err = db.AppendQuery(ctx, exp, l); !ran || err != nil {
				t.Fatalf("AppendQuery(%q): ran %v, %v", l, ran, err)
			}
			exp = append(exp, '>')
		}
		if !bytes.Equal(out, exp) {
			t.Fatalf("AppendReads gave %q, AppendQuery %q", out, exp)
		}
		// The longest prefix: the next line, if it may be answered, is not
		// a read by id of the same collection.
		if n < min(len(lines), readsMax) {
			if p, ok := parsePoint(lines[n]); ok && p.ByID() && string(p.Collection()) == coll {
				t.Fatalf("stopped at line %d %q, a read by id of %q", n, lines[n], coll)
			}
		}
	})
}

// parsePoint is query.Point.Parse returning the Point.
func parsePoint(line []byte) (query.Point, bool) {
	var p query.Point
	ok := p.Parse(line)
	return p, ok
}
