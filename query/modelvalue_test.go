package query

// A brute-force model of SPEC §1–§2 value semantics, written from the spec
// and independent of package index: values are decoded with encoding/json
// (UseNumber), numbers are compared as exact rationals, objects as their
// key-sorted member lists. The model test compares the engine against it.
//
// The number semantics follow query/doc.go and index.ParseNumber: a number
// written as an integer (digits, optionally with an all-zero fraction) that
// fits int64 is that exact integer; any other number is the IEEE double its
// text denotes. Two numbers compare by their exact values.

import (
	"bytes"
	"encoding/json"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// mDecode decodes one JSON value with numbers as json.Number.
func mDecode(tb testing.TB, js string) any {
	tb.Helper()
	d := json.NewDecoder(strings.NewReader(js))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		tb.Fatalf("model: cannot decode %s: %v", js, err)
	}
	return v
}

var integerTextRE = regexp.MustCompile(`^(-?[0-9]+)(\.0+)?$`)

var ratCache sync.Map // json.Number → *big.Rat

// mNumber returns the exact value a JSON number stands for.
func mNumber(n json.Number) *big.Rat {
	if r, ok := ratCache.Load(n); ok {
		return r.(*big.Rat)
	}
	var r *big.Rat
	if m := integerTextRE.FindStringSubmatch(string(n)); m != nil {
		if i, err := strconv.ParseInt(m[1], 10, 64); err == nil {
			r = new(big.Rat).SetInt64(i)
		}
	}
	if r == nil {
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			panic("model: number out of the model's range: " + string(n))
		}
		r = new(big.Rat).SetFloat64(f)
	}
	ratCache.Store(n, r)
	return r
}

// mRank is the type class order of docs/query-language.md.
func mRank(v any) int {
	switch v := v.(type) {
	case nil:
		return 0
	case bool:
		if !v {
			return 1
		}
		return 2
	case json.Number:
		return 3
	case string:
		return 4
	case []any:
		return 5
	case map[string]any:
		return 6
	}
	panic("model: unexpected value type")
}

// mCompare is the total order of docs/query-language.md.
func mCompare(a, b any) int {
	ra, rb := mRank(a), mRank(b)
	if ra != rb {
		return cmpInt(ra, rb)
	}
	switch a := a.(type) {
	case json.Number:
		return mNumber(a).Cmp(mNumber(b.(json.Number)))
	case string:
		return strings.Compare(a, b.(string))
	case []any:
		bb := b.([]any)
		for i := 0; i < len(a) && i < len(bb); i++ {
			if c := mCompare(a[i], bb[i]); c != 0 {
				return c
			}
		}
		return cmpInt(len(a), len(bb))
	case map[string]any:
		bm := b.(map[string]any)
		ka, kb := sortedKeys(a), sortedKeys(bm)
		for i := 0; i < len(ka) && i < len(kb); i++ {
			if c := strings.Compare(ka[i], kb[i]); c != 0 {
				return c
			}
			if c := mCompare(a[ka[i]], bm[kb[i]]); c != 0 {
				return c
			}
		}
		return cmpInt(len(ka), len(kb))
	}
	return 0 // null, false, true
}

func mEqual(a, b any) bool { return mCompare(a, b) == 0 }

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// mClass is the range class of docs/query-language.md: 1 booleans, 2 numbers, 3 strings,
// 0 anything else (never matches a range).
func mClass(v any) int {
	switch v.(type) {
	case bool:
		return 1
	case json.Number:
		return 2
	case string:
		return 3
	}
	return 0
}

// mRangeCompare compares within one class; ok is false across classes.
func mRangeCompare(v, bound any) (c int, ok bool) {
	if mClass(v) == 0 || mClass(v) != mClass(bound) {
		return 0, false
	}
	return mCompare(v, bound), true
}

// mPath splits an attribute name into keys: "." separates, `\.` is a dot
// and `\\` a backslash inside a key.
func mPath(name string) []string {
	var steps []string
	var cur []byte
	for i := 0; i < len(name); i++ {
		switch {
		case name[i] == '\\' && i+1 < len(name):
			i++
			cur = append(cur, name[i])
		case name[i] == '.':
			steps = append(steps, string(cur))
			cur = nil
		default:
			cur = append(cur, name[i])
		}
	}
	return append(steps, string(cur))
}

// mGet reads a path from a decoded record; missing is (nil, false).
func mGet(rec any, steps []string) (any, bool) {
	v := rec
	for _, s := range steps {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[s]; !ok {
			return nil, false
		}
	}
	return v, true
}

// mGetRaw reads a path from a record's JSON text and returns the value's
// JSON text as written, or "null" when missing.
func mGetRaw(tb testing.TB, rec string, steps []string) string {
	tb.Helper()
	raw := json.RawMessage(rec)
	for _, s := range steps {
		if len(raw) == 0 || raw[0] != '{' {
			return "null"
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			tb.Fatalf("model: %v", err)
		}
		var ok bool
		if raw, ok = m[s]; !ok {
			return "null"
		}
	}
	return string(raw)
}

// mQuote writes s as a JSON string escaping only what JSON requires, the
// way the generator writes keys and strings.
func mQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&15])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// mSplitArray splits a JSON array text into its elements' texts.
func mSplitArray(tb testing.TB, js string) []string {
	tb.Helper()
	var raws []json.RawMessage
	if err := json.Unmarshal([]byte(js), &raws); err != nil {
		tb.Fatalf("model: not an array: %s: %v", js, err)
	}
	out := make([]string, len(raws))
	for i, r := range raws {
		var b bytes.Buffer
		if err := json.Compact(&b, r); err != nil {
			tb.Fatal(err)
		}
		out[i] = b.String()
	}
	return out
}
