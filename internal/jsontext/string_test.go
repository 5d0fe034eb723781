package jsontext

import (
	"strings"
	"testing"
)

// TestShortStringEnd: ShortStringEnd finds StringEnd's quote, escapes
// included, and -1 for a string that does not end.
func TestShortStringEnd(t *testing.T) {
	for _, c := range []struct {
		js   string
		want int
	}{
		{`"`, 0},
		{`abc"`, 3},
		{`a\"b"`, 4},
		{`a\\"b"`, 3},
		{`abc`, -1},
		{`ab\"`, -1},
		{`ab\`, -1},
		{``, -1},
		{strings.Repeat("a", 15) + `"`, 15},
		{strings.Repeat("a", 16) + `"`, 16},
		{strings.Repeat("a", 17) + `\""`, 19},
		{strings.Repeat("a", 15) + `\"a"`, 18},
		{strings.Repeat("a", 40), -1},
	} {
		if got := ShortStringEnd(c.js, 0); got != c.want || got != StringEnd(c.js, 0) {
			t.Errorf("ShortStringEnd(%q) = %d, StringEnd %d, want %d", c.js, got, StringEnd(c.js, 0), c.want)
		}
	}
}

// TestScanStringWords: the eight-byte steps stop at every byte a string
// cannot hold as it is, wherever it sits in a word: ScanString answers as
// a byte at a time does.
func TestScanStringWords(t *testing.T) {
	ref := func(b string) (int, Kind) { // the answer, a byte at a time
		for i := 1; i < len(b); i++ {
			switch c := b[i]; {
			case c == '"':
				return i + 1, KindOK
			case c == '\\' || c < 0x20:
				return -1, KindOK // not compared: ScanString goes on to the escape or refuses
			}
		}
		return len(b), KindEnd
	}
	for n := 0; n < 24; n++ { // every place in three words
		for _, c := range []byte{0x00, 0x01, 0x1f, 0x20, '"', '\\', 0x7f, 0x80, 0xfe, 0xff, 'a'} {
			body := []byte(strings.Repeat("x", 25)) // a backslash is followed by an x
			body[n] = c
			text := `"` + string(body) + `"`
			got, kind := ScanString(text, 0)
			want, wkind := ref(text)
			switch {
			case c == '"':
				if got != want || kind != KindOK {
					t.Fatalf("%q: %d, %v; want %d", text, got, kind, want)
				}
			case c < 0x20:
				if kind != KindControl || got != 1+n {
					t.Fatalf("%q: %d, %v; want a control character at %d", text, got, kind, 1+n)
				}
			case c == '\\':
				if kind != KindEscape || got != 1+n {
					t.Fatalf("%q: %d, %v; want a bad escape at %d", text, got, kind, 1+n)
				}
			default:
				if got != len(text) || kind != KindOK || wkind != KindOK {
					t.Fatalf("%q: %d, %v; want %d", text, got, kind, len(text))
				}
			}
		}
	}
}
