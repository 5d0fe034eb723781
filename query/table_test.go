package query

import (
	"strconv"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/dbvalue"
)

// run runs requests on v in order, committing each write, and returns the
// last result.
func run(tb testing.TB, v **dbvalue.Value, reqs ...string) string {
	tb.Helper()
	var out []byte
	for _, req := range reqs {
		q, err := ParseString(req)
		if err != nil {
			tb.Fatalf("%.80s: %v", req, err)
		}
		if q.IsWrite() {
			txn := (*v).Begin()
			if out, err = Apply(nil, txn, q, nil); err != nil {
				tb.Fatalf("%.80s: %v", req, err)
			}
			*v = txn.Commit()
			if err := (*v).Check(); err != nil {
				tb.Fatalf("%.80s: %v", req, err)
			}
		} else if out, err = Execute(nil, *v, q, nil); err != nil {
			tb.Fatalf("%.80s: %v", req, err)
		}
	}
	return string(out)
}

// TestLongIDs uses string ids around the sizes where an index entry's id
// length changes form (0x8000 bytes) and where the four-byte form's low
// half has its top bit clear (0x10000..0x17FFF).
func TestLongIDs(t *testing.T) {
	v := dbvalue.Empty()
	run(t, &v, `["create-index","t","a"]`, `["create-index","t",[["a","desc"],"b"]]`)
	lengths := []int{0x7FFD, 0x7FFE, 0x8000, 0xFFFF, 0x10000, 0x12345, 0x17FFF, 0x18000, 0x20000}
	for i, n := range lengths {
		id := strconv.Quote(strings.Repeat(string(rune('a'+i)), n))
		run(t, &v, `["insert","t",{"id":`+id+`,"a":`+strconv.Itoa(i%2)+`,"b":`+strconv.Itoa(i)+`}]`)
	}
	for _, req := range []string{
		`["select","t",{"where":["=","a",1],"only":"b"}]`,
		`["select","t",{"where":["and",["=","a",1],[">","b",2]],"only":"b"}]`,
		`["select","t",{"where":["=","a",1],"order":["b","desc"],"only":"b"}]`,
	} {
		var want []string
		for i := range lengths {
			if i%2 == 1 && (!strings.Contains(req, `">"`) || i > 2) {
				want = append(want, strconv.Itoa(i))
			}
		}
		if strings.Contains(req, "desc") {
			for l, r := 0, len(want)-1; l < r; l, r = l+1, r-1 {
				want[l], want[r] = want[r], want[l]
			}
		}
		if got := run(t, &v, req); got != "["+strings.Join(want, ",")+"]" {
			t.Errorf("%s = %s, want [%s]", req, got, strings.Join(want, ","))
		}
	}
	if got := run(t, &v, `["delete","t",{"where":["=","a",0]}]`, `["count","t"]`); got != "4" {
		t.Errorf("after deleting a=0, count = %s, want 4", got)
	}
}

// TestMerge pins update's merge (query/doc.go): top-level keys, existing
// keys keep their place, null removes, new keys in the order given.
func TestMerge(t *testing.T) {
	for _, c := range []struct{ rec, changes, want string }{
		{`{"id":1}`, `{"a":1}`, `{"id":1,"a":1}`},
		{`{"id":1,"a":1,"b":2}`, `{"a":null}`, `{"id":1,"b":2}`},
		{`{"id":1,"a":1,"b":2}`, `{"c":3,"a":[1]}`, `{"id":1,"a":[1],"b":2,"c":3}`},
		{`{"id":1,"a":{"x":1}}`, `{"a.x":2}`, `{"id":1,"a":{"x":1},"a.x":2}`},
		{`{"id":1,"\u0061":1}`, `{"a":2}`, `{"id":1,"\u0061":2}`},
		{`{"id":1}`, `{"gone":null}`, `{"id":1}`},
		{`{"id":1}`, `{}`, `{"id":1}`},
	} {
		q, err := ParseString(`["update","t",` + c.changes + `]`)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(Merge(nil, c.rec, q.(Update).Changes)); got != c.want {
			t.Errorf("Merge(%s, %s) = %s, want %s", c.rec, c.changes, got, c.want)
		}
	}
}

// TestMalformedJSON covers requests a golden text file cannot hold.
func TestMalformedJSON(t *testing.T) {
	for req, want := range map[string]string{
		"":                                     "Malformed JSON: empty request",
		"\r\n":                                 "Malformed JSON: empty request",
		"[\"insert\",\"t\",{\"id\":\"\xff\"}]": "Malformed JSON: invalid UTF-8",
		"[\"ping\"]\xc3":                       "Malformed JSON: invalid UTF-8",
		"[\"select\",\"t\",{\"where\":[\"=\",\"a\",\"\xed\xa0\x80\"]}]": "Malformed JSON: invalid UTF-8", // a UTF-16 surrogate
		"[\"ping\"]\x00":         "Malformed JSON: cannot parse",
		"\xef\xbb\xbf[\"ping\"]": "Malformed JSON: cannot parse", // a byte order mark
	} {
		_, err := ParseString(req)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("ParseString(%q) = %v, want %q", req, err, want)
		}
	}
	// Escaped code points are fine, lone surrogates included (they read
	// as U+FFFD).
	for _, req := range []string{`["select","t",{"where":["=","a","\ud800"]}]`, `["select","t",{"where":["=","a","\u00ff"]}]`} {
		if _, err := ParseString(req); err != nil {
			t.Errorf("ParseString(%s): %v", req, err)
		}
	}
}
