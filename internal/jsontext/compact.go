package jsontext

import "strings"

// AppendCompact appends the JSON text js without insignificant white
// space. js must be valid JSON.
func AppendCompact(dst []byte, js string) []byte {
	for {
		i := nextSpace(js)
		if i < 0 {
			return append(dst, js...)
		}
		dst = append(dst, js[:i]...)
		js = js[i+1:]
	}
}

// CompactString returns the JSON text js without insignificant white
// space, in a string of its own (never sharing js's bytes). js must be
// valid JSON.
func CompactString(js string) string {
	i := nextSpace(js)
	if i < 0 {
		return strings.Clone(js)
	}
	var b strings.Builder
	b.Grow(len(js) - 1)
	for i >= 0 {
		b.WriteString(js[:i])
		js = js[i+1:]
		i = nextSpace(js)
	}
	b.WriteString(js)
	return b.String()
}

// Compact returns the JSON text js without insignificant white space: js
// itself when it has none (sharing its bytes, so no copy is made), else a
// new string. js must be valid JSON.
func Compact(js string) string {
	if nextSpace(js) < 0 {
		return js
	}
	return CompactString(js)
}

// nextSpace returns the index of the first white space byte of valid JSON
// text js that is outside strings, or -1. It jumps over strings with
// StringEnd, so string-heavy text costs little.
func nextSpace(js string) int {
	for i := 0; i < len(js); i++ {
		switch js[i] {
		case ' ', '\t', '\n', '\r':
			return i
		case '"':
			end := StringEnd(js, i+1)
			if end < 0 {
				return -1
			}
			i = end
		}
	}
	return -1
}

// Depth returns the deepest nesting of arrays and objects in valid JSON
// text js: 0 for a scalar, 1 for [1,2].
func Depth(js string) int {
	d, deepest := 0, 0
	for i := 0; i < len(js); i++ {
		switch js[i] {
		case '"':
			end := StringEnd(js, i+1)
			if end < 0 {
				return deepest
			}
			i = end
		case '[', '{':
			d++
			deepest = max(deepest, d)
		case ']', '}':
			d--
		}
	}
	return deepest
}

// ValueEnd returns the index just after the value that starts at b[i] in
// valid JSON text (i is not white space).
func ValueEnd[T Text](b T, i int) int {
	var n Nesting
	for j := i; j < len(b); j++ {
		switch n.Step(b[j]) {
		case Other:
			if n.Depth == 0 && (IsSpace(b[j]) || b[j] == ',' || b[j] == ':') {
				return j
			}
		case Close:
			if n.Depth == 0 {
				return j + 1
			}
			if n.Depth < 0 { // the end of the enclosing array or object
				return j
			}
		case Quote:
			if !n.InString && n.Depth == 0 {
				return j + 1
			}
		}
	}
	return len(b)
}
