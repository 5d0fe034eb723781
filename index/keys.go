package index

import (
	"strings"

	"github.com/fleetdb-go/fleetdb/internal/jsontext"
	"github.com/tidwall/gjson"
)

// maxFields is how many top-level attributes AppendKeys looks for in one
// walk of a record; indexes that name more take AppendKey's way.
const maxFields = 16

// AppendKeys appends the entry key of the record rec (encoded id id) in
// each of ixs, as AppendKey does for each spec, and after each key its end
// in dst to ends.
//
// AppendKey reads each component's attribute with its own walk of the
// record (gjson.Get), from its start up to the member; with three indexes
// that was 0.7 us per record of a bulk load, 14 % of its CPU (pprof of the
// in-process comparison's records). Here one walk of the record's top-level
// members finds every attribute the components name (the first member of
// each name, as gjson.Get reads it), and each value is encoded from its
// text: an integer without parsing a float, a string without escapes as it
// is. Components of nested paths read their attribute as AppendKey does; a
// record with an escaped member name takes AppendKey's way whole.
func AppendKeys(dst []byte, ends []int, ixs []Index, id, rec string) ([]byte, []int) {
	var names [maxFields]string
	nn := 0
	for i := range ixs {
		for _, c := range ixs[i].spec.Components {
			if len(c.Path.steps) != 1 {
				continue
			}
			name := c.Path.steps[0]
			if indexOf(names[:nn], name) >= 0 {
				continue
			}
			if nn == maxFields {
				return appendKeysEach(dst, ends, ixs, id, rec)
			}
			names[nn] = name
			nn++
		}
	}
	var vals [maxFields]string // each name's value's text; "" when missing
	if !topLevel(rec, names[:nn], vals[:nn]) {
		return appendKeysEach(dst, ends, ixs, id, rec)
	}
	for i := range ixs {
		for _, c := range ixs[i].spec.Components {
			if len(c.Path.steps) != 1 {
				dst = appendComponent(dst, c, c.Path.Get(rec))
				continue
			}
			start := len(dst)
			dst = appendRawValue(dst, vals[indexOf(names[:nn], c.Path.steps[0])])
			if c.Desc {
				Complement(dst[start:])
			}
		}
		dst = append(dst, id...)
		dst = appendBack(dst, len(id))
		ends = append(ends, len(dst))
	}
	return dst, ends
}

// appendKeysEach is AppendKeys one AppendKey at a time.
func appendKeysEach(dst []byte, ends []int, ixs []Index, id, rec string) ([]byte, []int) {
	for i := range ixs {
		dst = ixs[i].spec.AppendKey(dst, id, rec)
		ends = append(ends, len(dst))
	}
	return dst, ends
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

// topLevel walks the members of the JSON object rec (valid JSON text) and
// sets vals[i] to the text of the first value of the member named
// names[i], leaving "" for names it lacks. It reports false, having set
// nothing for sure, when rec is not an object or a member's name has an
// escape (whose unescaped form the caller must compare). Names and short
// values are stepped over a byte at a time, which for a record's usual
// short strings and numbers costs less than a call per string.
func topLevel(rec string, names, vals []string) bool {
	i := jsontext.SkipSpace(rec, 0)
	if i >= len(rec) || rec[i] != '{' {
		return false
	}
	left := len(names)
	for i = jsontext.SkipSpace(rec, i+1); left > 0 && i < len(rec) && rec[i] == '"'; {
		start := i + 1
		end := start
		for end < len(rec) && rec[end] != '"' && rec[end] != '\\' {
			end++
		}
		if end >= len(rec) || rec[end] != '"' {
			return false // an escape in the name
		}
		i = jsontext.SkipSpace(rec, end+1)
		if i >= len(rec) || rec[i] != ':' {
			return false
		}
		v := jsontext.SkipSpace(rec, i+1)
		i = memberEnd(rec, v)
		if x := indexOf(names, rec[start:end]); x >= 0 && vals[x] == "" {
			vals[x] = rec[v:i]
			left--
		}
		i = jsontext.SkipSpace(rec, i)
		if i < len(rec) && rec[i] == ',' {
			i = jsontext.SkipSpace(rec, i+1)
		}
	}
	return true
}

// memberEnd returns the index just after the value of an object member
// that starts at rec[v] in valid JSON text.
func memberEnd(rec string, v int) int {
	if v >= len(rec) {
		return v
	}
	switch rec[v] {
	case '"':
		if j := jsontext.ShortStringEnd(rec, v+1); j >= 0 {
			return j + 1
		}
		return len(rec)
	case '{', '[':
		return jsontext.ValueEnd(rec, v)
	}
	j := v // a number or a literal
	for j < len(rec) && rec[j] != ',' && rec[j] != '}' && !jsontext.IsSpace(rec[j]) {
		j++
	}
	return j
}

// appendRawValue appends the encoding of the JSON value whose text is raw
// ("" for a missing attribute, which encodes as null), as AppendValue does
// for gjson's Result of that text.
func appendRawValue(dst []byte, raw string) []byte {
	if raw == "" {
		return append(dst, tagNull)
	}
	switch raw[0] {
	case '"':
		if s := raw[1 : len(raw)-1]; strings.IndexByte(s, '\\') < 0 {
			return appendString(dst, s)
		}
	case 't':
		return append(dst, tagTrue)
	case 'f':
		return append(dst, tagFalse)
	case 'n':
		return append(dst, tagNull)
	case '{', '[':
	default:
		return AppendNumber(dst, ParseNumberText(raw))
	}
	return AppendValue(dst, gjson.Parse(raw))
}
