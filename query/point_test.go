package query

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/fleetdb-go/fleetdb/dbvalue"
)

// parsePoint is Point.Parse returning the Point.
func parsePoint(req []byte) (Point, bool) {
	var p Point
	ok := p.Parse(req)
	return p, ok
}

func TestParsePointShapes(t *testing.T) {
	for _, tc := range []struct {
		req  string
		want bool
	}{
		{`["select","t",{"where":["=","id",1]}]`, true},
		{" \n[ \"select\" ,\t\"t\" , { \"where\" : [ \"=\" , \"id\" , 1 ] } ] \r\n", true},
		{`["select","t",{"where":["=","a","x"]}]`, true},
		{`["select","t",{"where":["=","n.x",-0.5e+3]}]`, true},
		{`["select","t",{"where":["=","a","é"]}]`, true},
		{`["select","t",{"where":["=","id",0]}]`, true},
		{`["select","t",{"where":["=","id",-0]}]`, true},
		{`["select","t",{"where":["=","id",1E2]}]`, true},
		// Anything else takes the general path.
		{`["select","t",{"where":["=","id",01]}]`, false},
		{`["select","t",{"where":["=","id",1.]}]`, false},
		{`["select","t",{"where":["=","id",.5]}]`, false},
		{`["select","t",{"where":["=","id",-]}]`, false},
		{`["select","t",{"where":["=","id",1e]}]`, false},
		{`["select","t",{"where":["=","id",+1]}]`, false},
		{`["select","t",{"where":["=","id",1x]}]`, false},
		{`["select","t",{"where":["=","id",true]}]`, false},
		{`["select","t",{"where":["=","id",null]}]`, false},
		{`["select","t",{"where":["=","id",[1]]}]`, false},
		{`["select","t",{"where":["=","a","x\"y"]}]`, false},
		{`["select","t",{"where":["=","a","x\u0041"]}]`, false},
		{"[\"select\",\"t\",{\"where\":[\"=\",\"a\",\"x\ty\"]}]", false},
		{"[\"select\",\"t\",{\"where\":[\"=\",\"a\",\"\xff\"]}]", false},
		{`["select","",{"where":["=","id",1]}]`, false},
		{`["select","t",{"where":["=","","x"]}]`, false},
		{`["select","t",{"where":["=",".a","x"]}]`, false},
		{`["select","t",{"where":["=","a.","x"]}]`, false},
		{`["select","t",{"where":["=","a..b","x"]}]`, false},
		{`["select","t",{"where":["=","id",1],"limit":1}]`, true},
		{`["select","t",{"where":["=","a","x"] , "limit" : 20 }]`, true},
		{`["select","t",{"where":["=","a","x"],"limit":0}]`, true},
		{`["select","t",{"where":["=","a","x"],"limit":999999999999999}]`, true},
		{`["select","t",{"where":["=","a","x"],"limit":9999999999999999}]`, false},
		{`["select","t",{"where":["=","a","x"],"limit":01}]`, false},
		{`["select","t",{"where":["=","a","x"],"limit":1.0}]`, false},
		{`["select","t",{"where":["=","a","x"],"limit":1e1}]`, false},
		{`["select","t",{"where":["=","a","x"],"limit":-1}]`, false},
		{`["select","t",{"where":["=","a","x"],"limit":"1"}]`, false},
		{`["select","t",{"where":["=","a","x"],"limit":1,"limit":2}]`, false},
		{`["select","t",{"where":["=","a","x"],"offset":1}]`, false},
		{`["select","t",{"where":["=","a","x"],}]`, false},
		{`["select","t",{"limit":1,"where":["=","a","x"]}]`, false},
		{`["select","t",{"where":["=","b","x"],"order":["a","desc"]}]`, true},
		{`["select","t",{"where":["=","b","x"] , "order" : [ "a" , "asc" ] , "limit" : 2 }]`, true},
		{`["select","t",{"where":["=","b","x"],"order":["a","up"]}]`, false},
		{`["select","t",{"where":["=","b","x"],"order":[["a","asc"]]}]`, false},
		{`["select","t",{"where":["=","b","x"],"order":"a"}]`, false},
		{`["select","t",{"where":["=","b","x"],"order":["a"]}]`, false},
		{`["select","t",{"where":["=","b","x"],"order":["a","asc","x"]}]`, false},
		{`["select","t",{"where":["=","b","x"],"limit":2,"order":["a","asc"]}]`, false},
		{`["select","t",{"where":["=","b","x"],"order":["a","asc"],"order":["a","asc"]}]`, false},
		{`["select","t",{"where":["=","id",1]}]x`, false},
		{`["select","t",{"where":["=","id",1]}`, false},
		{`["select","t",{"where":["=","id",1]},1]`, false},
		{`["select","t",{"where":["!=","id",1]}]`, false},
		{`["count","t",{"where":["=","id",1]}]`, false},
		{`["select","t"]`, false},
		{``, false},
	} {
		_, got := parsePoint([]byte(tc.req))
		if got != tc.want {
			t.Errorf("parsePoint(%q) = %v, want %v", tc.req, got, tc.want)
		}
		if got {
			q, err := ParseString(tc.req)
			if err != nil {
				t.Errorf("%q: accepted by ParsePoint, refused by Parse: %v", tc.req, err)
			} else if _, ok := q.(Select); !ok {
				t.Errorf("%q: parses as %s", tc.req, q.Name())
			}
		}
	}
}

// checkPoint checks that the point paths answer req exactly as the general
// plan does on v: the text path (ParsePoint) when it takes the request,
// and the parsed path (Execute) always.
// It reports whether the text path answered with at least one record.
func checkPoint(tb testing.TB, v *dbvalue.Value, req string) bool {
	tb.Helper()
	q, err := ParseString(req)
	p, isPoint := parsePoint([]byte(req))
	if err != nil {
		if isPoint {
			tb.Fatalf("%s: taken by ParsePoint, refused by Parse: %v", req, err)
		}
		return false
	}
	sel, ok := q.(Select)
	if !ok {
		if isPoint {
			tb.Fatalf("%s: taken by ParsePoint, parsed as %s", req, q.Name())
		}
		return false
	}
	want := string(PlanFind(sel.Coll, v.Collection(sel.Coll), sel.Find).Select(nil))
	got, err := Execute(nil, v, q, nil)
	if err != nil || string(got) != want {
		tb.Fatalf("%s: Execute gives %s (%v), the plan %s", req, got, err, want)
	}
	if !isPoint {
		return false
	}
	out, ok := p.Select([]byte("prefix:"), v)
	if ok && string(out) != "prefix:"+want {
		tb.Fatalf("%s: the point path gives %s, the plan %s", req, out, want)
	}
	return ok && want != "[]"
}

// TestPointMatchesPlan runs random equality selects, in the shapes the
// point paths take and in nearby shapes they must leave alone, on a
// database with indexes (single, compound, descending, nested) and without.
func TestPointMatchesPlan(t *testing.T) {
	indexed, plain := fuzzDB(t)
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	colls := []string{"t", "u", "none"}
	attrs := []string{"id", "a", "b", "n.x", `k\\.1`, "c", "zz"}
	vals := []string{`1`, `1.0`, `1e0`, `10e-1`, `-0`, `0`, `2`, `2.0`, `2.5`, `25e-1`, `7.5`, `-1e300`, `-1E+300`, `1e400`,
		`"x"`, `"y"`, `"z"`, `"s"`, `"str"`, `"dot"`, `"é"`, `true`, `null`, `[1]`, `{"y":null}`, `"1"`, `4`, `5`, `6`}
	options := []string{``, `,"limit":1`, `,"limit":0`, `,"limit":2`, `, "limit" : 3 `, `,"limit":20`, `,"limit":1.5`, `,"limit":-1`,
		`,"offset":1`, `,"order":["a","desc"]`, `,"order":["a","asc"]`, `,"order":["a","desc"],"limit":2`,
		`,"order":["a","asc"],"limit":1`, `,"order":["b","desc"]`, `,"order":["id","desc"],"limit":2`,
		`,"order":["n.x","asc"]`, `,"order":["a","desc"],"limit":0`, `,"only":"id"`, `,"distinct":true`}
	answered := 0
	for i := 0; i < 5000; i++ {
		opt := ``
		if r.IntN(3) == 0 {
			opt = options[r.IntN(len(options))]
		}
		req := fmt.Sprintf(`["select",%q,{"where":["=","%s",%s]%s}]`,
			colls[r.IntN(len(colls))], attrs[r.IntN(len(attrs))], vals[r.IntN(len(vals))], opt)
		if checkPoint(t, indexed, req) {
			answered++
		}
		checkPoint(t, plain, req)
	}
	if answered < 100 {
		t.Fatalf("the text path found records for only %d requests of 5000", answered)
	}
	t.Logf("the text path found records for %d requests of 5000", answered)
}

// FuzzParsePoint: whatever the point path takes, Parse takes too, and
// both answer alike.
//
//	go test -fuzz FuzzParsePoint -fuzztime 60s ./query
func FuzzParsePoint(f *testing.F) {
	for _, s := range []string{`["select","t",{"where":["=","id",1]}]`, `["select","t",{"where":["=","a","x"]}]`,
		`["select","t",{"where":["=","n.x",1e0]}]`, ` ["select" , "t",{"where":["=","b","y"] } ]`,
		`["select","t",{"where":["=","a","x"],"limit":2}]`,
		`["select","t",{"where":["=","b","x"],"order":["a","desc"],"limit":2}]`} {
		f.Add(s)
	}
	indexed, plain := fuzzDB(f)
	f.Fuzz(func(t *testing.T, req string) {
		checkPoint(t, indexed, req)
		checkPoint(t, plain, req)
	})
}

// TestPointAllocs: the point paths allocate nothing but the result.
func TestPointAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector (go test without -race checks them)")
	}
	indexed, _ := fuzzDB(t)
	for _, req := range []string{
		`["select","t",{"where":["=","id",2]}]`,
		`["select","t",{"where":["=","id","s"]}]`,
		`["select","t",{"where":["=","a",2.5]}]`,
		`["select","t",{"where":["=","n.x",1]}]`,
		`["select","t",{"where":["=","id",99]}]`,
		`["select","t",{"where":["=","a",2.5],"limit":1}]`,
		`["select","t",{"where":["=","b","x"],"order":["a","desc"],"limit":2}]`,
		`["select","t",{"where":["=","b","x"],"order":["a","asc"]}]`,
	} {
		q, err := ParseString(req)
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]byte, 0, 1024)
		if n := testing.AllocsPerRun(100, func() {
			dst, err = Execute(dst[:0], indexed, q, nil)
		}); n != 0 || err != nil {
			t.Errorf("%s: parsed: %v allocations, %v", req, n, err)
		}
		p, ok := parsePoint([]byte(req))
		if !ok {
			t.Fatalf("%s: not a point", req)
		}
		if n := testing.AllocsPerRun(100, func() {
			dst, ok = p.Select(dst[:0], indexed)
		}); n != 0 || !ok {
			t.Errorf("%s: text: %v allocations (%v)", req, n, ok)
		}
		if n := testing.AllocsPerRun(100, func() {
			dst, ok = p.Select(nil, indexed)
		}); n != 1 {
			t.Errorf("%s: text into a new result: %v allocations, want 1", req, n)
		}
	}
}

// TestPointOrdered: an equality with an order on a second attribute, read
// from an index of exactly [attr, ord] forward or backward by groups,
// answers as the plan does for every value, direction and limit, and the
// text path takes each of them.
func TestPointOrdered(t *testing.T) {
	indexed, plain := fuzzDB(t)
	taken := 0
	for _, val := range []string{`"x"`, `"y"`, `"z"`, `"none"`, `1`} {
		for _, dir := range []string{"asc", "desc"} {
			for _, lim := range []string{``, `,"limit":0`, `,"limit":1`, `,"limit":2`, `,"limit":5`} {
				req := fmt.Sprintf(`["select","t",{"where":["=","b",%s],"order":["a","%s"]%s}]`, val, dir, lim)
				if _, ok := parsePoint([]byte(req)); !ok {
					t.Fatalf("%s: not taken by ParsePoint", req)
				}
				if checkPoint(t, indexed, req) {
					taken++
				}
				checkPoint(t, plain, req)
			}
		}
	}
	// "x" has three records (a = 1, 2, "str"), "y" and "z" one each.
	if taken < 24 {
		t.Fatalf("the ordered text path found records for %d requests, want at least 24", taken)
	}
}

// TestPointCompact: the compact shape's fast path reads what the token
// scanner reads (names, value and its encoding, no options), and leaves
// every other shape to it.
func TestPointCompact(t *testing.T) {
	for _, tc := range []struct {
		req  string
		fast bool
	}{
		{`["select","t",{"where":["=","id",1]}]`, true},
		{`["select","people",{"where":["=","id",123456789012345678]}]`, true},
		{`["select","t",{"where":["=","id",1234567890123456789]}]`, false}, // 19 digits
		{`["select","t",{"where":["=","id",-42]}]`, true},
		{`["select","t",{"where":["=","id",-0]}]`, true},
		{`["select","t",{"where":["=","id",0]}]`, true},
		{`["select","t",{"where":["=","id",01]}]`, false},
		{`["select","t",{"where":["=","id",1.5]}]`, false},
		{`["select","t",{"where":["=","id",1e3]}]`, false},
		{`["select","t",{"where":["=","email","a@b.c"]}]`, true},
		{`["select","t",{"where":["=","email",""]}]`, true},
		{`["select","t",{"where":["=","a.b","x"]}]`, true},
		{`["select","t",{"where":["=","a","é"]}]`, false},
		{`["select","té",{"where":["=","a","x"]}]`, false},
		{`["select","t",{"where":["=","a","x\"y"]}]`, false},
		{`["select","t",{"where":["=","a","x"]} ]`, false},
		{`["select","t",{"where":["=","a","x"],"limit":1}]`, false},
		{`["select","t",{"where":["=","a",1]}]x`, false},
		{`["select","t",{"where":["=","a",1]}`, false},
		{`["select","t",{"where":["=","a",`, false},
		{`["select","`, false},
	} {
		var fast, slow Point
		fastOK := fast.compact([]byte(tc.req))
		if fastOK != tc.fast {
			t.Errorf("%s: fast path %v, want %v", tc.req, fastOK, tc.fast)
			continue
		}
		slowOK := slow.tokens([]byte(tc.req))
		if !fastOK {
			continue
		}
		if !slowOK {
			t.Errorf("%s: the scanner refuses what the fast path takes", tc.req)
			continue
		}
		if string(fast.coll) != string(slow.coll) || string(fast.attr) != string(slow.attr) || string(fast.val) != string(slow.val) ||
			fast.str != slow.str || fast.limit != slow.limit || fast.order != nil || slow.order != nil {
			t.Errorf("%s: fast %+v, scanner %+v", tc.req, fast, slow)
		}
		if f, s := fast.appendValue(nil), slow.appendValue(nil); string(f) != string(s) {
			t.Errorf("%s: fast path encodes %x, the scanner %x", tc.req, f, s)
		}
	}
}
