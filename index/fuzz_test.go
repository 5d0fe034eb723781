package index

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// FuzzValueOrder checks the encoding of three JSON values against the
// model of docs/query-language.md: encodings compare like the values (so equal encodings
// iff equal values, and the order is antisymmetric and transitive), no
// encoding prefixes another, and complements reverse the order.
//
//	go test -fuzz FuzzValueOrder -fuzztime 60s ./index
func FuzzValueOrder(f *testing.F) {
	for i, row := range orderTable {
		next := orderTable[(i+1)%len(orderTable)]
		f.Add(row[0], row[len(row)-1], next[0])
	}
	f.Add(`[1,{"a":[2.0]}]`, `[1e0,{"a":[2]}]`, `[1,{"a":[2,null]}]`)
	f.Add(`{"b":1,"a":{"c":"\u0000"}}`, `{"a":{"c":""},"b":1}`, `{"a":{"c":"\u0000"},"b":1.0}`)
	f.Fuzz(func(t *testing.T, a, b, c string) {
		vals := []string{a, b, c}
		encs := make([]string, 3)
		for i, js := range vals {
			if !gjson.Valid(js) {
				return
			}
			encs[i] = EncodeJSON(js) // must not panic on any valid input
		}
		for _, js := range vals {
			if !modelComparable(js) {
				return
			}
		}
		dec := make([]any, 3)
		for i, js := range vals {
			dec[i] = modelDecode(t, js)
		}
		for i := range vals {
			for j := range vals {
				want, ok := modelCompare(dec[i], dec[j])
				if !ok {
					continue // numbers beyond the doubles: the model has no order
				}
				if got := strings.Compare(encs[i], encs[j]); got != want {
					t.Fatalf("compare(%s, %s): encodings %d, values %d\n  %x\n  %x", vals[i], vals[j], got, want, encs[i], encs[j])
				}
				checkPair(t, encs[i], encs[j], vals[i], vals[j])
			}
		}
	})
}

// modelComparable reports whether the model reads js as the engine does:
// valid for encoding/json too, valid UTF-8 (encoding/json replaces bad
// bytes, the engine keeps them), and without repeated keys (encoding/json
// keeps the last, the engine the first).
func modelComparable(js string) bool {
	if !json.Valid([]byte(js)) || !utf8.ValidString(js) {
		return false
	}
	d := json.NewDecoder(strings.NewReader(js))
	type frame struct {
		obj    bool
		keys   map[string]bool
		expect bool // in an object, the next string token is a key
	}
	var stack []*frame
	for {
		tok, err := d.Token()
		if err != nil {
			return err.Error() == "EOF"
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.expect {
			if k, ok := tok.(string); ok {
				if top.keys[k] {
					return false
				}
				top.keys[k] = true
				top.expect = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{obj: true, keys: map[string]bool{}, expect: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 && stack[len(stack)-1].obj {
			stack[len(stack)-1].expect = true // a value ended
		}
	}
}
