package index

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// orderTable lists values in ascending order (docs/query-language.md); the values of one
// row are equal. Every pair of values is checked against its rows' order.
var orderTable = [][]string{
	{`null`},
	{`false`},
	{`true`},
	// Numbers by value. Integers within int64 are exact; other numbers are
	// the double their text denotes (query/doc.go), so -2^63-1 is the
	// double -2^63 and 9.007199254740993e15 the double 2^53.
	{`-1.7976931348623157e308`},
	{`-9223372036854775809`, `-9223372036854775808`, `-9.223372036854775808e18`},
	{`-9223372036854775807`},
	{`-9007199254740993`},
	{`-9007199254740992`, `-9.007199254740992e15`},
	{`-2.5`, `-25e-1`},
	{`-1`, `-1.0`, `-1e0`, `-1E0`},
	{`-0.5`},
	{`-5e-324`},
	{`0`, `-0`, `0.0`, `-0.0`, `0e0`, `-0e5`, `0.000`},
	{`5e-324`},
	{`0.5`, `5e-1`, `0.50`},
	{`1`, `1.0`, `1e0`, `10e-1`, `0.1e1`, `1.00`, `1E+0`},
	{`1.0000000000000002`},
	{`1.5`},
	{`2`, `2e0`},
	{`2.5`},
	{`10`, `1e1`, `10.0`},
	{`9007199254740991`},
	{`9007199254740992`, `9007199254740992.0`, `9.007199254740992e15`, `9.007199254740993e15`},
	{`9007199254740993`, `9007199254740993.000`},
	{`9007199254740994`},
	{`9223372036854775806`},
	{`9223372036854775807`, `9223372036854775807.0`},
	{`9223372036854775808`, `9.223372036854775808e18`, `9223372036854775809`},
	{`1e300`},
	{`1.7976931348623157e308`},
	// Strings by UTF-8 bytes; NUL is an ordinary byte.
	{`""`},
	{`"\u0000"`},
	{`"\u0000\u0000"`},
	{`"\u0000a"`},
	{`"\u0001"`},
	{`"A"`},
	{`"B"`},
	{`"a"`, `"\u0061"`},
	{`"a\u0000"`},
	{`"a\u0000\u0000"`},
	{`"a\u0000b"`},
	{`"a\u0001"`},
	{`"ab"`},
	{`"b"`},
	{`"é"`, `"\u00e9"`},
	{`"\uffff"`},
	{`"😀"`, `"\ud83d\ude00"`},
	// Arrays element by element, a prefix first.
	{`[]`},
	{`[null]`},
	{`[null,null]`},
	{`[false]`},
	{`[1]`, `[1.0]`, `[ 1 ]`},
	{`[1,null]`},
	{`[1,2]`, `[1e0,2.0]`},
	{`[1,"a"]`},
	{`[2]`},
	{`[""]`},
	{`["a"]`},
	{`["a\u0000"]`},
	{`[[]]`},
	{`[[1]]`},
	{`[{}]`},
	// Objects by their key-sorted form.
	{`{}`},
	{`{"":null}`},
	{`{"a":null}`},
	{`{"a":false}`},
	{`{"a":1}`, `{"a":1.0}`, `{ "a" : 1 }`},
	{`{"a":1,"b":1}`, `{"b":1,"a":1}`, `{"b":1.0,"\u0061":1}`},
	{`{"a":2}`},
	{`{"a":""}`},
	{`{"a":[]}`},
	{`{"a":{}}`},
	{`{"a\u0000":0}`},
	{`{"b":0}`},
}

func TestValueOrderTable(t *testing.T) {
	type entry struct {
		js  string
		row int
		enc string
	}
	var all []entry
	for row, vals := range orderTable {
		for _, js := range vals {
			if !gjson.Valid(js) {
				t.Fatalf("invalid JSON in the table: %s", js)
			}
			all = append(all, entry{js, row, EncodeJSON(js)})
		}
	}
	for _, a := range all {
		for _, b := range all {
			want := sign(a.row - b.row)
			if got := strings.Compare(a.enc, b.enc); got != want {
				t.Errorf("compare(%s, %s) = %d, want %d\n  %x\n  %x", a.js, b.js, got, want, a.enc, b.enc)
			}
			// The model agrees with the table: it is the SPEC.
			if got, ok := modelCompare(modelDecode(t, a.js), modelDecode(t, b.js)); !ok || got != want {
				t.Errorf("model compare(%s, %s) = %d, want %d", a.js, b.js, got, want)
			}
			checkPair(t, a.enc, b.enc, a.js, b.js)
		}
	}
}

// checkPair checks the structural properties of two encodings: neither is
// a proper prefix of the other, and complementing reverses their order.
func checkPair(tb testing.TB, a, b, ja, jb string) {
	tb.Helper()
	if a != b && (strings.HasPrefix(a, b) || strings.HasPrefix(b, a)) {
		tb.Errorf("encodings of %s and %s: one is a prefix of the other", ja, jb)
	}
	ca, cb := []byte(a), []byte(b)
	Complement(ca)
	Complement(cb)
	if got, want := bytes.Compare(ca, cb), -strings.Compare(a, b); got != want {
		tb.Errorf("complemented encodings of %s and %s compare %d, want %d", ja, jb, got, want)
	}
	// Concatenation keeps the order of the first component whatever follows
	// (compound keys).
	if a != b {
		x, y := a+"\x00", b+"\xff\xff"
		if strings.Compare(x, y) != strings.Compare(a, b) {
			tb.Errorf("encodings of %s and %s: a suffix changed their order", ja, jb)
		}
	}
}

func TestParseNumber(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want Number
	}{
		{"0", Number{IsInt: true}},
		{"-0", Number{IsInt: true}},
		{"-0.0", Number{IsInt: true}},
		{"2", Number{IsInt: true, Int: 2}},
		{"2.000", Number{IsInt: true, Int: 2}},
		{"2e3", Number{IsInt: true, Int: 2000}},
		{"2.5e1", Number{IsInt: true, Int: 25}},
		{"-17", Number{IsInt: true, Int: -17}},
		{"2.5", Number{Float: 2.5}},
		{"-0.125", Number{Float: -0.125}},
		{"9007199254740993", Number{IsInt: true, Int: 9007199254740993}},
		{"9223372036854775807", Number{IsInt: true, Int: math.MaxInt64}},
		{"-9223372036854775808", Number{IsInt: true, Int: math.MinInt64}},
		{"9223372036854775808", Number{Float: 9223372036854775808}},
		{"1e19", Number{Float: 1e19}},
		{"-9223372036854775809", Number{IsInt: true, Int: math.MinInt64}}, // the double -2^63
		{"1e400", Number{Float: math.Inf(1)}},
		{"-1e400", Number{Float: math.Inf(-1)}},
		{"1e-400", Number{IsInt: true}}, // the double 0
	} {
		r := gjson.Parse(c.raw)
		if got := ParseNumber(r.Raw, r.Num); got != c.want {
			t.Errorf("ParseNumber(%s) = %+v, want %+v", c.raw, got, c.want)
		}
	}
}

func TestClassOf(t *testing.T) {
	for js, want := range map[string]Class{
		`null`: ClassNull, `false`: ClassBool, `true`: ClassBool, `-1.5`: ClassNumber,
		`""`: ClassString, `[]`: ClassArray, `[{}]`: ClassArray, `{}`: ClassObject, `{"a":[]}`: ClassObject,
	} {
		v := gjson.Parse(js)
		if got := ClassOf(v); got != want {
			t.Errorf("ClassOf(%s) = %d, want %d", js, got, want)
		}
		enc := EncodeJSON(js)
		if enc < ClassStart(want) || enc >= ClassEnd(want) {
			t.Errorf("encoding of %s is outside [ClassStart, ClassEnd) of its class", js)
		}
	}
	if got := ClassOf(gjson.Get(`{}`, "missing")); got != ClassNull {
		t.Errorf("ClassOf(missing) = %d, want ClassNull", got)
	}
	if EncodeValue(gjson.Get(`{}`, "missing")) != EncodeJSON("null") {
		t.Error("a missing value does not encode as null")
	}
}

// TestEncodingEdgeCases pins down details of the encoding that the order
// table does not show.
func TestEncodingEdgeCases(t *testing.T) {
	// Objects with a repeated key: the first occurrence wins, as it does
	// for attribute reads (gjson).
	if EncodeJSON(`{"a":1,"a":2}`) != EncodeJSON(`{"a":1}`) {
		t.Error(`{"a":1,"a":2} does not encode as {"a":1}`)
	}
	if got := (MustPath("a")).Get(`{"a":1,"a":2}`).Raw; got != "1" {
		t.Errorf(`reading a from {"a":1,"a":2} gives %s, want 1`, got)
	}
	// A string holding every byte value keeps its bytes in order.
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < 0x80; i++ {
		fmt.Fprintf(&b, `\u%04x`, i)
	}
	b.WriteByte('"')
	s := gjson.Parse(b.String()).Str
	if len(s) != 0x80 {
		t.Fatalf("string of %d bytes", len(s))
	}
	for i := 1; i < len(s); i++ {
		x, y := `"`+jsonEscape(s[:i])+`"`, `"`+jsonEscape(s[:i+1])+`"`
		if EncodeJSON(x) >= EncodeJSON(y) {
			t.Fatalf("prefix of %d bytes does not sort before the one of %d", i, i+1)
		}
	}
}

func jsonEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, `\u%04x`, s[i])
	}
	return b.String()
}

// TestParseNumberText: the point path's parse gives what ParseNumber gives
// with gjson's double, for integers, fractions, exponents and integers past
// int64.
func TestParseNumberText(t *testing.T) {
	for _, raw := range []string{"0", "-0", "7", "-7", "2.0", "-2.50", "1e3", "1E-3", "0.1", "123456789012345678",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
		"18446744073709551616", "1.5e300", "-0.0", "12345678901234567890123"} {
		want := ParseNumber(raw, gjson.Parse(raw).Num)
		if got := ParseNumberText(raw); got != want {
			t.Errorf("ParseNumberText(%s) = %+v, want %+v", raw, got, want)
		}
	}
}
