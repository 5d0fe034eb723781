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
