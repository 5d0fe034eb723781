package jsontext

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unsafe"
)

func TestValidDepthLimit(t *testing.T) {
	for _, depth := range []int{MaxDepth - 1, MaxDepth, MaxDepth + 1} {
		for _, pair := range []string{"[]", "{}"} {
			var b []byte
			for d := 0; d < depth; d++ {
				if pair == "{}" && d > 0 {
					b = append(b, `"k":`...)
				}
				b = append(b, pair[0])
			}
			for range depth {
				b = append(b, pair[1])
			}
			if got, want := Valid(b), json.Valid(b); got != want {
				t.Errorf("depth %d %s: Valid = %v, json.Valid = %v", depth, pair, got, want)
			}
		}
	}
}

// TestCheck: what is wrong, and where.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		text  string
		depth int
		kind  Kind
		at    int
	}{
		{`{"a":[1,true,null,"x\u00e9"]}`, 2, KindOK, 0},
		{` 1 `, 0, KindOK, 0},
		{`{"a":[1]}`, 1, KindDepth, 5},
		{`[[]]`, 1, KindDepth, 1},
		{``, 5, KindEnd, 0},
		{`[1,`, 5, KindEnd, 3},
		{`{"a`, 5, KindEnd, 3},
		{`tr`, 5, KindEnd, 2},
		{`-`, 5, KindEnd, 1},
		{`]`, 5, KindUnexpected, 0},
		{`{1:2}`, 5, KindKey, 1},
		{`{"a" 2}`, 5, KindColon, 5},
		{`{"a":1 "b"}`, 5, KindObjectComma, 7},
		{`[1 2]`, 5, KindArrayComma, 3},
		{`[tru]`, 5, KindLiteral, 1},
		{`[01]`, 5, KindArrayComma, 2},
		{`[1.]`, 5, KindNumber, 1},
		{`[1e]`, 5, KindNumber, 1},
		{`"\x"`, 5, KindEscape, 1},
		{`"\u12G4"`, 5, KindUnicodeEscape, 1},
		{"\"a\tb\"", 5, KindControl, 2},
		{`1 2`, 5, KindTrailing, 2},
	} {
		err := Check([]byte(tc.text), tc.depth)
		var se *SyntaxError
		switch {
		case tc.kind == KindOK && err != nil:
			t.Errorf("%q: %v", tc.text, err)
		case tc.kind == KindOK:
		case !errors.As(err, &se) || se.Kind != tc.kind || se.Offset != tc.at:
			t.Errorf("%q: %#v, want %v at %d", tc.text, err, tc.kind, tc.at)
		}
	}
	err := Check([]byte(`{"a":`+strings.Repeat("[", 3)+`]]]}`), 3)
	if err == nil || err.Error() != "nested deeper than 3 (at byte 8)" {
		t.Errorf("depth error: %v", err)
	}
	if err := Check([]byte(`[1,}`), 3); err == nil || err.Error() != "invalid JSON: unexpected character (at byte 4)" {
		t.Errorf("error text: %v", err)
	}
}

func TestDepthValueEnd(t *testing.T) {
	for _, tc := range []struct {
		text  string
		depth int
		end   int // of the value at 0
	}{
		{`1`, 0, 1},
		{`-1.5e3,2`, 0, 6},
		{`"a\"]"]`, 0, 6},
		{`[1,{"a":["]"]}] ,`, 3, 15},
		{`{}`, 1, 2},
		{`true}`, 0, 4},
		{`null :`, 0, 4},
	} {
		if d := Depth(tc.text); d != tc.depth {
			t.Errorf("Depth(%q) = %d, want %d", tc.text, d, tc.depth)
		}
		if e := ValueEnd(tc.text, 0); e != tc.end {
			t.Errorf("ValueEnd(%q) = %d, want %d", tc.text, e, tc.end)
		}
		if e := ValueEnd([]byte(tc.text), 0); e != tc.end {
			t.Errorf("ValueEnd([]byte %q) = %d, want %d", tc.text, e, tc.end)
		}
	}
}

func TestCompactSharesCompactText(t *testing.T) {
	for _, js := range []string{`{"a":1}`, `{ "a" : [1, 2] }`, `"a b"`, `[1,"x y",{"k":" "}]`, " 1 "} {
		got, want := Compact(js), CompactString(js)
		if got != want {
			t.Errorf("Compact(%q) = %q, CompactString gives %q", js, got, want)
		}
		if shared := unsafe.StringData(got) == unsafe.StringData(js); shared != (want == js) {
			t.Errorf("Compact(%q): shares the input's bytes: %v, want %v", js, shared, want == js)
		}
	}
}
