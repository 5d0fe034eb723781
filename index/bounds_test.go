package index

import (
	"flag"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/internal/btree"
	"github.com/tidwall/gjson"
)

var indexSeed = flag.Uint64("index.seed", 0, "seed of the random index tests (0: random, printed)")

func testSeed(tb testing.TB) uint64 {
	tb.Helper()
	seed := *indexSeed
	if seed == 0 {
		seed = rand.Uint64()>>1 | 1
	}
	tb.Logf("seed %d (replay with -index.seed=%d)", seed, seed)
	return seed
}

// valueGen draws JSON values: every value of the order table (equal values
// written differently included) and random arrays and objects of them.
type valueGen struct{ r *rand.Rand }

func (g valueGen) scalar() string {
	row := orderTable[g.r.IntN(len(orderTable))]
	return row[g.r.IntN(len(row))]
}

func (g valueGen) value(depth int) string {
	if depth > 1 || g.r.IntN(4) > 0 {
		return g.scalar()
	}
	n := g.r.IntN(3)
	parts := make([]string, n)
	if g.r.IntN(2) == 0 {
		for i := range parts {
			parts[i] = g.value(depth + 1)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	for i := range parts {
		parts[i] = strconv.Quote(string(rune('a'+i))) + ":" + g.value(depth+1)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// valueOfClass draws a value of a class, mostly from the order table.
func (g valueGen) valueOfClass(cl Class) string {
	for {
		v := g.value(0)
		if ClassOf(gjson.Parse(v)) == cl {
			return v
		}
	}
}

// TestComponentRangeProperty checks that a key lies in the byte range
// ComponentRange computes exactly when its prefix components equal the
// prefix values and the value of the next component is of the range's
// class and within its bounds, for ascending and descending components.
func TestComponentRangeProperty(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 1))
	g := valueGen{r}
	classes := []Class{ClassNull, ClassBool, ClassNumber, ClassString, ClassArray, ClassObject}
	for iter := 0; iter < 400; iter++ {
		// A spec [p0, x] or [x], with random directions.
		var comps []Component
		nPrefix := r.IntN(2)
		if nPrefix == 1 {
			comps = append(comps, Component{Path: MustPath("p"), Desc: r.IntN(2) == 0})
		}
		xc := Component{Path: MustPath("x"), Desc: r.IntN(2) == 0}
		comps = append(comps, xc)
		spec := NewSpec(comps, "test")
		prefixVal := g.value(0)
		var prefix []byte
		if nPrefix == 1 {
			prefix = AppendEncoded(prefix, comps[0], EncodeJSON(prefixVal))
		}
		cl := classes[r.IntN(len(classes))]
		var lo, hi *Bound
		var loJS, hiJS string
		if cl == ClassBool || cl == ClassNumber || cl == ClassString {
			if r.IntN(3) > 0 {
				loJS = g.valueOfClass(cl)
				lo = &Bound{Enc: EncodeJSON(loJS), Inclusive: r.IntN(2) == 0}
			}
			if r.IntN(3) > 0 {
				hiJS = g.valueOfClass(cl)
				hi = &Bound{Enc: EncodeJSON(hiJS), Inclusive: r.IntN(2) == 0}
			}
		}
		from, to := ComponentRange(prefix, xc, cl, lo, hi)
		for k := 0; k < 60; k++ {
			pv := prefixVal
			if r.IntN(3) == 0 {
				pv = g.value(0)
			}
			xv := g.value(0)
			if r.IntN(4) == 0 && loJS != "" {
				xv = loJS // hit the bounds exactly
			} else if r.IntN(4) == 0 && hiJS != "" {
				xv = hiJS
			}
			rec := `{"p":` + pv + `,"x":` + xv + `}`
			id := EncodeJSON(strconv.Itoa(r.IntN(1000) - 500))
			if r.IntN(5) == 0 {
				id = EncodeJSON(strconv.Quote(strings.Repeat("\x00\xff", r.IntN(3))))
			}
			key := string(spec.AppendKey(nil, id, rec))
			got := from <= key && key < to
			want := true
			if nPrefix == 1 {
				c, ok := modelCompare(modelDecode(t, pv), modelDecode(t, prefixVal))
				want = ok && c == 0
			}
			x := modelDecode(t, xv)
			want = want && ClassOf(gjson.Parse(xv)) == cl
			if lo != nil {
				c, _ := modelCompare(x, modelDecode(t, loJS))
				want = want && (c > 0 || (c == 0 && lo.Inclusive))
			}
			if hi != nil {
				c, _ := modelCompare(x, modelDecode(t, hiJS))
				want = want && (c < 0 || (c == 0 && hi.Inclusive))
			}
			if got != want {
				t.Fatalf("seed %d: spec %s, prefix %s, class %d, lo %s (inclusive %v), hi %s (inclusive %v): record %s in range = %v, want %v",
					seed, specString(comps), prefixVal, cl, loJS, lo != nil && lo.Inclusive, hiJS, hi != nil && hi.Inclusive, rec, got, want)
			}
		}
	}
}

// TestPrefixRangeProperty checks that PrefixRange holds exactly the keys
// whose leading components equal the prefix values.
func TestPrefixRangeProperty(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 2))
	g := valueGen{r}
	for iter := 0; iter < 300; iter++ {
		comps := []Component{
			{Path: MustPath("a"), Desc: r.IntN(2) == 0},
			{Path: MustPath("b"), Desc: r.IntN(2) == 0},
			{Path: MustPath("c"), Desc: r.IntN(2) == 0},
		}
		spec := NewSpec(comps, "test")
		n := r.IntN(4) // prefix length
		vals := []string{g.value(0), g.value(0), g.value(0)}
		var prefix []byte
		for i := 0; i < n; i++ {
			prefix = AppendEncoded(prefix, comps[i], EncodeJSON(vals[i]))
		}
		from, to := PrefixRange(prefix)
		for k := 0; k < 40; k++ {
			rv := make([]string, 3)
			want := true
			for i := range rv {
				rv[i] = vals[i]
				if r.IntN(3) == 0 {
					rv[i] = g.value(0)
				}
				if i < n {
					c, ok := modelCompare(modelDecode(t, rv[i]), modelDecode(t, vals[i]))
					want = want && ok && c == 0
				}
			}
			rec := `{"a":` + rv[0] + `,"b":` + rv[1] + `,"c":` + rv[2] + `}`
			key := string(spec.AppendKey(nil, EncodeJSON(strconv.Itoa(k)), rec))
			if got := from <= key && key < to; got != want {
				t.Fatalf("seed %d: spec %s, prefix %v (%d): record %s in range = %v, want %v", seed, specString(comps), vals, n, rec, got, want)
			}
		}
	}
}

// TestIndexScan builds an index by inserts, replaces and removes under
// edits, checks it after each step against a plain set of keys, and checks
// that Scan visits exactly the keys of [from, to) in order, both ways.
func TestIndexScan(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 3))
	g := valueGen{r}
	spec := mustSpec(t, `["a",["b","desc"]]`)
	ix := New(spec)
	model := map[string]string{} // encoded id → record
	for step := 0; step < 600; step++ {
		e := btree.NewEdit()
		if step%7 == 0 {
			e = nil
		}
		id := EncodeJSON(strconv.Itoa(r.IntN(80)))
		rec := `{"a":` + g.value(0) + `,"b":` + g.value(0) + `}`
		old, exists := model[id]
		var buf []byte
		switch {
		case exists && r.IntN(3) == 0:
			ix, buf = ix.Remove(e, id, old, buf)
			delete(model, id)
		case exists:
			ix, buf = ix.Replace(e, id, old, rec, buf)
			model[id] = rec
		default:
			ix, _ = ix.Insert(e, id, rec, buf)
			model[id] = rec
		}
		if err := ix.Check(); err != nil {
			t.Fatalf("seed %d step %d: %v", seed, step, err)
		}
		if ix.Len() != len(model) {
			t.Fatalf("seed %d step %d: Len %d, want %d", seed, step, ix.Len(), len(model))
		}
	}
	var keys []string
	for id, rec := range model {
		keys = append(keys, string(spec.AppendKey(nil, id, rec)))
	}
	slices.Sort(keys)
	var got []string
	ix.Keys(func(k string) bool { got = append(got, k); return true })
	if strings.Join(got, "|") != strings.Join(keys, "|") {
		t.Fatalf("seed %d: index keys differ from the model", seed)
	}
	for q := 0; q < 200; q++ {
		from, to := keys[r.IntN(len(keys))], ""
		if r.IntN(4) > 0 {
			to = keys[r.IntN(len(keys))]
		}
		if r.IntN(3) == 0 {
			from = from[:r.IntN(len(from))]
		}
		var want []string
		for _, k := range keys {
			if k >= from && (to == "" || k < to) {
				want = append(want, ComponentsOf(k)+"/"+IDOf(k))
			}
		}
		for _, reverse := range []bool{false, true} {
			var ids []string
			ix.Scan(from, to, reverse, func(comps, id, _ string) bool {
				ids = append(ids, comps+"/"+id)
				return true
			})
			w := want
			if reverse {
				w = reversed(want)
			}
			if strings.Join(ids, "|") != strings.Join(w, "|") {
				t.Fatalf("seed %d: Scan(%x, %x, reverse=%v) visited %d ids, want %d", seed, from, to, reverse, len(ids), len(w))
			}
		}
		// ScanGroupsReverse: groups from the last, each group in id order.
		var groups []string
		ix.ScanGroupsReverse(from, to, func(comps, id, _ string) bool {
			groups = append(groups, comps+"/"+id)
			return true
		})
		var wantGroups []string
		for i := len(want); i > 0; {
			j := i - 1
			for j > 0 && strings.SplitN(want[j-1], "/", 2)[0] == strings.SplitN(want[i-1], "/", 2)[0] {
				j--
			}
			wantGroups = append(wantGroups, want[j:i]...)
			i = j
		}
		if strings.Join(groups, "|") != strings.Join(wantGroups, "|") {
			t.Fatalf("seed %d: ScanGroupsReverse(%x, %x) = %q, want %q", seed, from, to, groups, wantGroups)
		}
	}
}

func reversed(xs []string) []string {
	out := slices.Clone(xs)
	slices.Reverse(out)
	return out
}

func specString(comps []Component) string {
	parts := make([]string, len(comps))
	for i, c := range comps {
		parts[i] = c.Path.Name()
		if c.Desc {
			parts[i] += " desc"
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
