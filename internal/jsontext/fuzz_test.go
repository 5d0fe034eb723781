package jsontext

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

var seeds = []string{
	`{"a":[1,2.5e-3,true,false,null,"x\u00e9\n"]}`, `[]`, `{}`, ` 0 `, `-0.1E+5`,
	`[1,]`, `{"a"}`, `{"a":1,}`, `"\x"`, `01`, `1.`, `[[[[`, `"\ud800"`, "\"\x01\"", `nul`, `[1]]`,
	` [ 1 , "a b" , { "k" : [ ] } ] `, `"a\\"`, `"\\\""`, "[\"\xff\"]", `[1e5,-0,0.0E-0]`,
}

// FuzzValid checks that Valid agrees with json.Valid, and Check with
// Valid.
func FuzzValid(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, want := Valid(b), json.Valid(b)
		if got != want {
			t.Fatalf("Valid(%q) = %v, json.Valid = %v", b, got, want)
		}
		err := Check(b, MaxDepth)
		if (err == nil) != got {
			t.Fatalf("Check(%q) = %v, Valid = %v", b, err, got)
		}
		var se *SyntaxError
		if err != nil && (!errors.As(err, &se) || se.Offset < 0 || se.Offset > len(b)) {
			t.Fatalf("Check(%q) = %#v: offset out of the text", b, err)
		}
	})
}

// FuzzValidText checks the functions on valid JSON against encoding/json:
// AppendCompact and CompactString against json.Compact, Depth against
// Check's depth limit, ValueEnd against the value's length, and the
// Reader, fed a byte at a time, against json.Decoder's tokens.
func FuzzValidText(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		js := string(b)
		var want bytes.Buffer
		if err := json.Compact(&want, b); err != nil {
			t.Fatal(err)
		}
		if got := AppendCompact(nil, js); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("AppendCompact(%q) = %q, json.Compact %q", js, got, want.Bytes())
		}
		if got := CompactString(js); got != want.String() {
			t.Fatalf("CompactString(%q) = %q, json.Compact %q", js, got, want.Bytes())
		}
		d := Depth(js)
		if Check(b, d) != nil || d > 0 && Check(b, d-1) == nil {
			t.Fatalf("Depth(%q) = %d, but Check disagrees", js, d)
		}
		start := SkipSpace(js, 0)
		trimmed := TrimSpace(js)
		if end := ValueEnd(js, start); end != start+len(trimmed) {
			t.Fatalf("ValueEnd(%q, %d) = %d, want %d", js, start, end, start+len(trimmed))
		}
		if trimmed[0] == '"' {
			if end := StringEnd(js, start+1); end != start+len(trimmed)-1 {
				t.Fatalf("StringEnd(%q) = %d", js, end)
			}
		}
		// The Reader returns the value as it is; in an array, each element.
		r := NewReader(iotest.OneByteReader(bytes.NewReader(b)), 1)
		v, err := r.Value(nil)
		if err != nil && !(errors.Is(err, io.ErrUnexpectedEOF) && trimmed[0] != '"' && trimmed[0] != '[' && trimmed[0] != '{') {
			t.Fatalf("Reader.Value(%q): %v", js, err)
		}
		if string(v) != trimmed {
			t.Fatalf("Reader.Value(%q) = %q", js, v)
		}
		if trimmed[0] != '[' {
			return
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(b, &elems); err != nil {
			t.Fatal(err)
		}
		r = NewReader(iotest.OneByteReader(bytes.NewReader(b)), 1)
		if err := r.Expect('['); err != nil {
			t.Fatal(err)
		}
		first := true
		for k := 0; ; k++ {
			more, err := r.Next(&first)
			if err != nil {
				t.Fatalf("%q: Next: %v", js, err)
			}
			if !more {
				if k != len(elems) {
					t.Fatalf("%q: %d elements, encoding/json %d", js, k, len(elems))
				}
				break
			}
			if k%2 == 1 {
				if err := r.Skip(); err != nil {
					t.Fatalf("%q: Skip: %v", js, err)
				}
				continue
			}
			v, err := r.Value(nil)
			if err != nil || k >= len(elems) || string(v) != string(elems[k]) {
				t.Fatalf("%q: element %d = %q, %v; encoding/json %q", js, k, v, err, elems)
			}
		}
	})
}

// FuzzScanString: a string encoding/json wrote is one string to
// ScanString and StringEnd, wherever it stands.
func FuzzScanString(f *testing.F) {
	for _, s := range []string{"", "a", `"`, `\`, "\x00", "é", "\u2028", "\xff", `a\"b\\`} {
		f.Add(s)
	}
	// Escapes on either side of the bytes ShortStringEnd looks at one by one.
	for n := shortString - 3; n <= shortString+2; n++ {
		f.Add(strings.Repeat("a", n) + `"` + "b")
		f.Add(strings.Repeat("a", n) + `\`)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, _ := json.Marshal(s)
		text := "[" + string(q) + ",1]"
		if end, k := ScanString(text, 1); k != KindOK || end != 1+len(q) {
			t.Fatalf("ScanString(%s) = %d, %v", q, end, k)
		}
		if end := StringEnd(text, 2); end != len(q) {
			t.Fatalf("StringEnd(%s) = %d", q, end)
		}
		if end := ShortStringEnd(text, 2); end != len(q) {
			t.Fatalf("ShortStringEnd(%s) = %d", q, end)
		}
		// AppendString writes what encoding/json reads back (invalid
		// UTF-8 as U+FFFD, as encoding/json does), one string to both.
		a := AppendString(nil, s)
		var back, want string
		if err := json.Unmarshal(a, &back); err != nil || json.Unmarshal(q, &want) != nil || back != want {
			t.Fatalf("AppendString(%q) = %s: read back %q, %v; want %q", s, a, back, err, want)
		}
		if end, k := ScanString(a, 0); k != KindOK || end != len(a) {
			t.Fatalf("ScanString(AppendString(%q)) = %d, %v", s, end, k)
		}
	})
}
