package index

// A brute-force model of docs/query-language.md (equality and total order of values),
// independent of the encoding: values decoded with encoding/json
// (UseNumber), numbers compared as exact rationals. The number semantics
// are those of ParseNumber: integer text (with an optional all-zero
// fraction) that fits int64 is exact, any other number is its IEEE double.
// The same model, for the query engine, is in query/modelvalue_test.go.

import (
	"encoding/json"
	"math"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

func modelDecode(tb testing.TB, js string) any {
	tb.Helper()
	d := json.NewDecoder(strings.NewReader(js))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		tb.Fatalf("model: cannot decode %s: %v", js, err)
	}
	return v
}

var modelIntegerText = regexp.MustCompile(`^(-?[0-9]+)(\.0+)?$`)

// modelNumber returns the exact value of a number, and ok false for a
// number beyond the doubles (1e400), which the model does not order.
func modelNumber(n json.Number) (r *big.Rat, ok bool) {
	if m := modelIntegerText.FindStringSubmatch(string(n)); m != nil {
		if i, err := strconv.ParseInt(m[1], 10, 64); err == nil {
			return new(big.Rat).SetInt64(i), true
		}
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, false
	}
	return new(big.Rat).SetFloat64(f), true
}

func modelRank(v any) int {
	switch v := v.(type) {
	case nil:
		return 0
	case bool:
		if v {
			return 2
		}
		return 1
	case json.Number:
		return 3
	case string:
		return 4
	case []any:
		return 5
	}
	return 6
}

// modelCompare is the total order of docs/query-language.md. ok is false when the values
// hold a number the model cannot order.
func modelCompare(a, b any) (c int, ok bool) {
	ra, rb := modelRank(a), modelRank(b)
	if ra != rb {
		return sign(ra - rb), true
	}
	switch a := a.(type) {
	case json.Number:
		x, okA := modelNumber(a)
		y, okB := modelNumber(b.(json.Number))
		if !okA || !okB {
			return 0, false
		}
		return x.Cmp(y), true
	case string:
		return strings.Compare(a, b.(string)), true
	case []any:
		bb := b.([]any)
		for i := 0; i < len(a) && i < len(bb); i++ {
			if c, ok := modelCompare(a[i], bb[i]); !ok || c != 0 {
				return c, ok
			}
		}
		return sign(len(a) - len(bb)), true
	case map[string]any:
		bm := b.(map[string]any)
		ka, kb := modelKeys(a), modelKeys(bm)
		for i := 0; i < len(ka) && i < len(kb); i++ {
			if c := strings.Compare(ka[i], kb[i]); c != 0 {
				return c, true
			}
			if c, ok := modelCompare(a[ka[i]], bm[kb[i]]); !ok || c != 0 {
				return c, ok
			}
		}
		return sign(len(ka) - len(kb)), true
	}
	return 0, true
}

func modelKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}
