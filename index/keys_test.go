package index

import (
	"bytes"
	"slices"
	"testing"

	"github.com/tidwall/gjson"
)

// keysSpecs are the indexes AppendKeys is checked with: top-level
// attributes ascending and descending, compound, nested paths, a name with
// an escaped dot, names that are prefixes of others, and the id.
var keysSpecs = []string{
	`"a"`, `[["b","desc"]]`, `["a",["c","desc"]]`, `"n.x"`, `"id"`, `"ab"`, `"a\\.b"`,
	`[["c","asc"],["n.y","desc"],["a","asc"]]`,
}

var keysRecords = []string{
	`{"id":1,"a":"x","b":2,"c":true}`,
	`{"a":"x","a":"y","b":1}`,                            // repeated: the first counts
	`{"b":-0.5,"c":null,"n":{"x":[1,"2"],"y":{"z":1}}}`,  // nested
	`{"a":"\u00e9\"\\","ab":"a","a.b":1e400}`,            // escapes in values, a big number
	`{"a\u0062":1,"a":2}`,                                // an escaped member name
	`{ "a" : [ 1 , {"q" : 2} ] , "b" : { } , "c" : "" }`, // white space
	`{}`,
	`{"id":"s","a":12345678901234567890,"b":1.0,"c":-1e-7,"n":5}`,
	`{"x":{"a":1},"y":[{"a":2}],"a":false}`, // the name deeper first
	`{"c":"","a":"","b":null}`,
}

// TestAppendKeys: the keys of one walk are AppendKey's, for each record and
// every subset of keysSpecs in turn.
func TestAppendKeys(t *testing.T) {
	var ixs []Index
	for _, s := range keysSpecs {
		spec, err := ParseSpec(gjson.Parse(s))
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		ixs = append(ixs, New(spec))
	}
	id := EncodeValue(gjson.Parse(`7`))
	for _, rec := range keysRecords {
		for lo := range ixs {
			for hi := lo + 1; hi <= len(ixs); hi++ {
				checkAppendKeys(t, ixs[lo:hi], id, rec)
			}
		}
	}
}

// TestAppendKeysManyNames: indexes naming more attributes than one walk
// looks for take AppendKey's way, with the same keys.
func TestAppendKeysManyNames(t *testing.T) {
	var ixs []Index
	rec := []byte(`{"id":1`)
	for c := 'a'; c < 'a'+maxFields+2; c++ {
		spec, err := ParseSpec(gjson.Parse(`"` + string(c) + `"`))
		if err != nil {
			t.Fatal(err)
		}
		ixs = append(ixs, New(spec))
		rec = append(rec, `,"`+string(c)+`":`+string('0'+c%10)...)
	}
	rec = append(rec, '}')
	checkAppendKeys(t, ixs, EncodeValue(gjson.Parse(`1`)), string(rec))
}

func checkAppendKeys(t *testing.T, ixs []Index, id, rec string) {
	t.Helper()
	got, gotEnds := AppendKeys([]byte("pre"), []int{-1}, ixs, id, rec)
	want, wantEnds := appendKeysEach([]byte("pre"), []int{-1}, ixs, id, rec)
	if !bytes.Equal(got, want) || !slices.Equal(gotEnds, wantEnds) {
		var specs []string
		for _, ix := range ixs {
			specs = append(specs, ix.Spec().Key())
		}
		t.Fatalf("AppendKeys(%q, %q) = %x %v, AppendKey each %x %v", specs, rec, got, gotEnds, want, wantEnds)
	}
}

// FuzzAppendKeys: for any valid JSON object, the keys of one walk are
// AppendKey's.
//
//	go test -fuzz FuzzAppendKeys -fuzztime 60s ./index
func FuzzAppendKeys(f *testing.F) {
	for _, r := range keysRecords {
		f.Add(r)
	}
	var ixs []Index
	for _, s := range keysSpecs {
		spec, err := ParseSpec(gjson.Parse(s))
		if err != nil {
			f.Fatal(err)
		}
		ixs = append(ixs, New(spec))
	}
	id := EncodeValue(gjson.Parse(`"k"`))
	f.Fuzz(func(t *testing.T, rec string) {
		if !gjson.Valid(rec) || !gjson.Parse(rec).IsObject() {
			return
		}
		checkAppendKeys(t, ixs, id, rec)
	})
}
