package query

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/tidwall/gjson"
)

// parseGeneral is Parse without the one-record insert's short cut.
func parseGeneral(req string) (Query, error) {
	if err := checkText(req); err != nil {
		return nil, err
	}
	return parseQuery(gjson.Parse(req), "")
}

var oneInsertSeeds = []string{
	`["insert","c",{"id":"a","v":"x"}]`,
	`["insert","fleetdb-bench",{"id":"r-1-2","v":"xxxxxxxx"}]` + "\r\n",
	`["insert","c",{"id":1.5e3,"nested":{"a":[1,{"b":"}]"}],"s":"\"{"}}]`,
	`["insert","c",{"v":"x","id":-0}]`,
	`["insert","c",{"id":"\u00e9\"x"}]`,
	`["insert","c",{"v":1}]`,                                                   // no id: refused
	`["insert","c",{"id":null}]`,                                               // null id: refused
	`["insert","c",{"id":[1]}]`,                                                // id of the wrong type
	`["insert","",{"id":1}]`,                                                   // empty collection name
	`["insert","a\"b",{"id":1}]`,                                               // escapes in the name
	`["insert","c",{"id":1},{"id":2}]`,                                         // too many arguments
	`["insert","c",[{"id":1},{"id":2}]]`,                                       // an array of records
	`["insert","c",[{"id":1}]]`,                                                // an array of one
	`["insert","c",[]]`,                                                        // an empty array: the general way
	`["insert","c",[{ "id": 1, "a": [1, 2] },{"id":"x y","b":{"c" : "d e"}}]]`, // white space in records
	`["insert","c",[{"id":1}, {"id":2}]]`,                                      // white space between them: the general way
	`["insert","c",[{"id":1},{"v":2}]]`,                                        // the second lacks an id
	`["insert","c",[{"id":1},[{"id":2}]]]`,                                     // an element not an object
	`["insert","c",[{"id":1},{"id":1}]]`,                                       // a repeated id (refused when applied)
	`["insert","c",[{"id":1},{"id":{}}]]`,                                      // an id of the wrong type
	`["insert","c",[{"id":1}],{"id":2}]`,                                       // too many arguments
	`["insert","c",[{"id":1},{"id":2}]]]`,                                      // not JSON
	`["insert","c",[{"id":1},{"id":2}]] `,                                      // trailing space
	`["insert","c",{"id":1}`,                                                   // not JSON
	`["insert", "c", {"id":1}]`,                                                // spaces: the general way
	`["insert","c",{"id":1,"id":2}]`,                                           // a repeated key, as gjson reads it
	`["insert","c",{"id":"a"}] `,                                               // trailing space
	`["insert","c",{"id":"a"}]x`,                                               // trailing garbage
	`["insert","c",{"id":"a","big":1e400}]`,                                    // a number out of range
	`["insert","c",{"id":1e400}]`,                                              // an id out of range
	`["insert","c",{"a":{"id":1}}]`,                                            // id only nested
	`["put","c",{"id":"a"}]`,                                                   // another query
}

// TestParseOneInsert: the short cut gives what the general parse gives,
// query or error, for inserts of one record and their near misses.
func TestParseOneInsert(t *testing.T) {
	taken := 0
	for _, req := range oneInsertSeeds {
		if _, ok := parseOneInsert(req); ok {
			taken++
		}
		checkSameParse(t, req)
	}
	if taken < 10 {
		t.Errorf("the short cut took %d of the seeds, want the well-formed inserts", taken)
	}
}

func FuzzParseOneInsert(f *testing.F) {
	for _, s := range oneInsertSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, req string) { checkSameParse(t, req) })
}

func checkSameParse(t *testing.T, req string) {
	t.Helper()
	want, werr := parseGeneral(req)
	for name, got := range map[string]func() (Query, error){
		"Parse":       func() (Query, error) { return Parse([]byte(req)) },
		"ParseString": func() (Query, error) { return ParseString(req) },
		"ParseView":   func() (Query, error) { return ParseView([]byte(req)) },
		"ParseViewWith": func() (Query, error) {
			defer func(m int) { minParallelParse = m }(minParallelParse)
			minParallelParse = 0
			return ParseViewWith([]byte(req), goRunner)
		},
	} {
		q, err := got()
		if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() || !reflect.DeepEqual(q, want) {
			t.Fatalf("%s(%q) = %#v, %v; the general parse: %#v, %v", name, req, q, err, want, werr)
		}
	}
	if werr == nil {
		if q, err := ParseTrusted([]byte(req)); err != nil || !reflect.DeepEqual(q, want) {
			t.Fatalf("ParseTrusted(%q) = %#v, %v; want %#v", req, q, err, want)
		}
	}
}

// TestParseViewRefersToRequest: ParseView's insert of one record or of an
// array of records refers to the request's bytes (no copy of the request),
// Parse's to a copy; other requests are parsed from a copy by both.
func TestParseViewRefersToRequest(t *testing.T) {
	within := func(s string, req []byte) bool {
		p, lo := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.SliceData(req)))
		return p >= lo && p < lo+uintptr(len(req))
	}
	for _, req := range [][]byte{
		[]byte(`["insert","people",{"id":7,"name":"Ann"}]`),
		[]byte(`["insert","people",[{"id":7,"name":"Ann"},{"id":8}]]`),
	} {
		for name, parse := range map[string]func([]byte) (Query, error){"ParseView": ParseView, "Parse": Parse} {
			q, err := parse(req)
			if err != nil {
				t.Fatal(err)
			}
			ins := q.(Insert)
			view := within(ins.Coll, req)
			for _, r := range ins.Records {
				view = view && within(r.JSON, req) && !within(r.ID, req)
			}
			if view != (name == "ParseView") {
				t.Errorf("%s(%s): the records and the name are in the request: %v", name, req, view)
			}
		}
	}
	put := []byte(`["put","people",[{"id":7},{"id":8}]]`)
	q, err := ParseView(put)
	if err != nil {
		t.Fatal(err)
	}
	if within(q.(Put).Coll, put) {
		t.Error("ParseView: a put refers to the request")
	}
}

// TestParseViewWithLarge: a large insert parsed in two tasks (the check
// and the parse at once) gives ParseView's query or error, whatever is
// wrong with it and wherever: a record refused by the parse, text that is
// not JSON, invalid UTF-8, nesting past MaxDepth, or nothing.
func TestParseViewWithLarge(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(`["insert","people",[`)
	for i := range 600 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"id":%d,"name":"person %d","tags":["a","b"],"n":{"x":%d}}`, i, i, i%7)
	}
	sb.WriteString(`]]`)
	good := sb.String()
	if len(good) < minParallelParse {
		t.Fatalf("the request has %d bytes, fewer than %d", len(good), minParallelParse)
	}
	mid := len(good) / 2
	cases := map[string]string{
		"well-formed":     good,
		"spaced":          strings.Replace(good, `,"tags"`, ` , "tags"`, 50),
		"no id":           strings.Replace(good, `{"id":300,`, `{"di":300,`, 1),
		"duplicate field": strings.Replace(good, `{"id":300,`, `{"id":300,"id":301,`, 1),
		"not JSON":        good[:mid] + `}` + good[mid:],
		"cut":             good[:len(good)-3],
		"bad UTF-8":       strings.Replace(good, `person 300`, "person \xff", 1),
		"too deep":        strings.Replace(good, `"tags":["a","b"]`, `"tags":`+strings.Repeat("[", MaxDepth)+strings.Repeat("]", MaxDepth), 1),
		"bad number id":   strings.Replace(good, `{"id":300,`, `{"id":3e,`, 1),
		"trailing":        good + `x`,
		"empty":           `["insert","people",[` + strings.Repeat(" ", minParallelParse) + `]]`,
	}
	for name, req := range cases {
		want, werr := ParseView([]byte(req))
		for range 3 {
			got, err := ParseViewWith([]byte(req), goRunner)
			if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() || !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: ParseViewWith = %.80v, %v; ParseView = %.80v, %v", name, got, err, want, werr)
			}
		}
	}
}

// goRunner is a collection.Runner that runs each task but the first on a
// goroutine of its own. A goroutine started per call may start late (the
// root package's parallel.go), so it serves tests, not benchmarks: the
// root package's helpers are what ParseViewWith is measured with.
func goRunner(n int, task func(i int), took []int64) {
	var wg sync.WaitGroup
	for i := 1; i < n; i++ {
		wg.Go(func() { task(i) })
	}
	task(0)
	wg.Wait()
}
