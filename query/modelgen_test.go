package query

// The generator of random requests for the model test. It draws values
// from pools chosen to hit the edges of docs/query-language.md (1 = 1.0 = 1e0, -0, 2^53,
// int64 limits, NUL bytes, unicode, nested arrays and objects) and looks at
// the model's current records and indexes so that conditions hit records
// and indexes serve queries.

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

var (
	genColls = []string{"p", "p", "p", "q"}
	// Top-level keys of generated records. "k.1" holds a literal dot.
	genKeys = []string{"a", "b", "c", "s", "n", "k.1", "n\x00x"}
	// Attribute names in queries: nested, escaped, missing, into scalars.
	genPaths      = []string{"id", "a", "b", "c", "s", "n", "n.x", "n.y", `k\.1`, "a.x", "n.x.y", "zz", "n\x00x"}
	genIndexPaths = []string{"a", "b", "c", "s", "n", "n.x", "n.y", `k\.1`, "id", "a.x", "n\x00x"}
	genIDs        = []string{`0`, `1`, `2`, `2.0`, `2.5`, `3`, `-1`, `10`, `1e1`, `0.5`, `9007199254740993`,
		`9007199254740992`, `9223372036854775807`, `-9223372036854775808`, `"a"`, `"b"`, `""`, `"é"`, `"1"`, `"a\u0000"`}
	genScalars = []string{`null`, `true`, `false`, `0`, `-0`, `1`, `1.0`, `1e0`, `2`, `2.5`, `-3`, `-2.5`, `10`,
		`1e1`, `0.5`, `-0.0`, `9007199254740992`, `9007199254740993`, `9.007199254740993e15`,
		`9223372036854775807`, `-9223372036854775808`, `9223372036854775808`, `-9223372036854775809`,
		`1.7976931348623157e308`, `5e-324`, `""`, `"a"`, `"b"`, `"ab"`, `"B"`, `"é"`, `"\u00e9"`, `"日本"`,
		`"a\u0000b"`, `"a\u0000"`, `"\u0000"`, `"\uffff"`, `"😀"`}
	genComposites = []string{`[]`, `[1]`, `[1,2]`, `[1.0]`, `["a"]`, `[null]`, `[[1]]`, `[1,"a",true]`, `{}`,
		`{"x":1}`, `{"x":1,"y":2}`, `{"y":2,"x":1.0}`, `{"x":{"y":1}}`, `{"x":null}`, `[{"x":1}]`}
	genRangeClasses = [][]string{
		{`false`, `true`},
		{`-3`, `-2.5`, `-0`, `0`, `0.5`, `1`, `1.0`, `2`, `2.5`, `3`, `4`, `10`, `1e1`, `9007199254740992`,
			`9007199254740993`, `9223372036854775807`, `9223372036854775808`, `-9223372036854775808`},
		{`""`, `"a"`, `"ab"`, `"b"`, `"B"`, `"c"`, `"é"`, `"a\u0000"`, `"日本"`},
	}
)

type gen struct {
	tb testing.TB
	r  *rand.Rand
	m  *mDB
}

func (g *gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }
func (g *gen) chance(p float64) bool   { return g.r.Float64() < p }

func (g *gen) value() string {
	switch x := g.r.IntN(20); {
	case x < 7:
		return strconv.Itoa(g.r.IntN(5))
	case x < 9:
		return mQuote(string(rune('a' + g.r.IntN(4))))
	case x < 16:
		return g.pick(genScalars)
	}
	return g.pick(genComposites)
}

func (g *gen) id() string {
	if g.chance(0.6) {
		return strconv.Itoa(g.r.IntN(150))
	}
	return g.pick(genIDs)
}

// record writes a record with the given id text ("" for none) and a random
// subset of the keys, in random order.
func (g *gen) record(id string) string {
	var members []string
	if id != "" {
		members = append(members, `"id":`+id)
	}
	for _, k := range genKeys {
		if !g.chance(0.7) || (k == "n\x00x" && g.chance(0.6)) {
			continue
		}
		v := g.value()
		switch {
		case k == "n" && g.chance(0.75):
			var sub []string
			for _, sk := range []string{"x", "y"} {
				if g.chance(0.8) {
					sub = append(sub, mQuote(sk)+":"+g.value())
				}
			}
			v = "{" + strings.Join(sub, ",") + "}"
		case k == "a" && g.chance(0.15):
			v = `{"x":` + g.value() + `}`
		}
		members = append(members, mQuote(k)+":"+v)
	}
	g.r.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
	return "{" + strings.Join(members, ",") + "}"
}

// existing returns the text of a random value at path in coll, or a pool
// value when the collection is empty.
func (g *gen) existing(coll, path string) string {
	c, ok := g.m.colls[coll]
	if !ok || len(c.recs) == 0 || g.chance(0.3) {
		return g.value()
	}
	recs := c.sortedRecs()
	r := recs[g.r.IntN(len(recs))]
	v := mGetRaw(g.tb, r.text, mPath(path))
	if g.chance(0.5) {
		v = g.respell(v)
	}
	return v
}

func (g *gen) path(coll string) string {
	if c, ok := g.m.colls[coll]; ok && len(c.specs) > 0 && g.chance(0.5) {
		s := c.specs[g.r.IntN(len(c.specs))]
		return s.comps[g.r.IntN(len(s.comps))].name
	}
	return g.pick(genPaths)
}

// rangeValue returns a value for a range condition, of class cl (-1: any).
func (g *gen) rangeValue(coll, path string, cl int) string {
	if cl < 0 {
		cl = g.r.IntN(3)
		if g.chance(0.6) {
			cl = 1
		}
	}
	if g.chance(0.5) {
		v := g.existing(coll, path)
		if rangeClassOf(v) == cl {
			return v
		}
	}
	return g.pick(genRangeClasses[cl])
}

func rangeClassOf(v string) int {
	switch {
	case v == "true" || v == "false":
		return 0
	case strings.HasPrefix(v, `"`):
		return 2
	case v == "null" || strings.HasPrefix(v, "[") || strings.HasPrefix(v, "{"):
		return -1
	}
	return 1
}

var genOps = []string{"=", "=", "!=", "<", "<=", ">", ">=", "in", "not-in", "><", ">=<", "><=", ">=<="}

func (g *gen) leaf(coll string) string {
	path := g.path(coll)
	op := g.pick(genOps)
	p := mQuote(path)
	switch op {
	case "=", "!=":
		v := g.existing(coll, path)
		if g.chance(0.05) {
			v = "null"
		}
		return `["` + op + `",` + p + `,` + v + `]`
	case "in", "not-in":
		var vs []string
		for n := g.r.IntN(5); n > 0; n-- {
			vs = append(vs, g.existing(coll, path))
		}
		return `["` + op + `",` + p + `,[` + strings.Join(vs, ",") + `]]`
	case "<", "<=", ">", ">=":
		return `["` + op + `",` + p + `,` + g.rangeValue(coll, path, -1) + `]`
	}
	lo := g.rangeValue(coll, path, -1)
	hi := g.rangeValue(coll, path, rangeClassOf(lo))
	if mCompare(mDecode(g.tb, lo), mDecode(g.tb, hi)) > 0 && g.chance(0.8) {
		lo, hi = hi, lo
	}
	return `["` + op + `",` + p + `,[` + lo + `,` + hi + `]]`
}

// indexed writes a conjunction an index of coll can serve: equality on a
// prefix of its components, then maybe a range on the next one.
func (g *gen) indexed(coll string) (string, bool) {
	c, ok := g.m.colls[coll]
	if !ok || len(c.specs) == 0 {
		return "", false
	}
	s := c.specs[g.r.IntN(len(c.specs))]
	var conds []string
	k := g.r.IntN(len(s.comps) + 1)
	recs := c.sortedRecs()
	var rec *mRec
	if len(recs) > 0 {
		rec = recs[g.r.IntN(len(recs))]
	}
	for i := 0; i < k; i++ {
		v := g.value()
		if rec != nil && g.chance(0.8) {
			v = mGetRaw(g.tb, rec.text, mPath(s.comps[i].name))
			if g.chance(0.3) {
				v = g.respell(v)
			}
		}
		conds = append(conds, `["=",`+mQuote(s.comps[i].name)+`,`+v+`]`)
	}
	if k < len(s.comps) && g.chance(0.7) {
		name := s.comps[k].name
		p := mQuote(name)
		switch g.r.IntN(3) {
		case 0:
			conds = append(conds, `["`+g.pick([]string{"<", "<=", ">", ">="})+`",`+p+`,`+g.rangeValue(coll, name, -1)+`]`)
		case 1:
			lo := g.rangeValue(coll, name, -1)
			hi := g.rangeValue(coll, name, rangeClassOf(lo))
			if mCompare(mDecode(g.tb, lo), mDecode(g.tb, hi)) > 0 {
				lo, hi = hi, lo
			}
			conds = append(conds, `["`+g.pick([]string{"><", ">=<", "><=", ">=<="})+`",`+p+`,[`+lo+`,`+hi+`]]`)
		default: // two one-sided ranges that the planner may combine
			cl := -1
			if g.chance(0.8) {
				cl = g.r.IntN(3)
			}
			lo := g.rangeValue(coll, name, cl)
			hi := g.rangeValue(coll, name, rangeClassOf(lo))
			if cl < 0 {
				hi = g.rangeValue(coll, name, -1)
			}
			conds = append(conds, `["`+g.pick([]string{">", ">="})+`",`+p+`,`+lo+`]`,
				`["`+g.pick([]string{"<", "<="})+`",`+p+`,`+hi+`]`)
		}
	}
	if g.chance(0.3) {
		conds = append(conds, g.leaf(coll))
	}
	g.r.Shuffle(len(conds), func(i, j int) { conds[i], conds[j] = conds[j], conds[i] })
	switch len(conds) {
	case 0:
		return "", false
	case 1:
		if g.chance(0.5) {
			return conds[0], true
		}
	}
	return `["and",` + strings.Join(conds, ",") + `]`, true
}

func (g *gen) cond(coll string, depth int) string {
	if depth < 2 && g.chance(0.35) {
		op := "and"
		if g.chance(0.5) {
			op = "or"
		}
		n := 1 + g.r.IntN(3)
		kids := make([]string, n)
		for i := range kids {
			kids[i] = g.cond(coll, depth+1)
		}
		return `["` + op + `",` + strings.Join(kids, ",") + `]`
	}
	if g.chance(0.4) {
		if c, ok := g.indexed(coll); ok {
			return c
		}
	}
	if g.chance(0.15) {
		// Lookups by id.
		if g.chance(0.5) {
			return `["=","id",` + g.existingID(coll) + `]`
		}
		var ids []string
		for n := g.r.IntN(4); n > 0; n-- {
			ids = append(ids, g.existingID(coll))
		}
		return `["in","id",[` + strings.Join(ids, ",") + `]]`
	}
	return g.leaf(coll)
}

func (g *gen) existingID(coll string) string {
	if c, ok := g.m.colls[coll]; ok && len(c.recs) > 0 && g.chance(0.7) {
		recs := c.sortedRecs()
		if id := recs[g.r.IntN(len(recs))].idRaw; g.chance(0.7) {
			return id
		} else {
			return g.respell(id)
		}
	}
	return g.id()
}

func (g *gen) order(coll string) string {
	var keys []string
	dir := func() string {
		if g.chance(0.5) {
			return "desc"
		}
		return "asc"
	}
	if c, ok := g.m.colls[coll]; ok && len(c.specs) > 0 && g.chance(0.6) {
		// Follow an index, forward or backward, from some component on.
		s := c.specs[g.r.IntN(len(c.specs))]
		from := 0
		if g.chance(0.3) {
			from = g.r.IntN(len(s.comps))
		}
		flip := g.chance(0.5)
		for _, comp := range s.comps[from : from+1+g.r.IntN(len(s.comps)-from)] {
			d := comp.desc != flip
			if g.chance(0.1) {
				d = !d
			}
			ds := "asc"
			if d {
				ds = "desc"
			}
			keys = append(keys, `[`+mQuote(comp.name)+`,"`+ds+`"]`)
		}
	} else {
		for n := 1 + g.r.IntN(2); n > 0; n-- {
			keys = append(keys, `[`+mQuote(g.pick(genPaths))+`,"`+dir()+`"]`)
		}
	}
	if len(keys) == 1 && g.chance(0.5) {
		return keys[0]
	}
	return "[" + strings.Join(keys, ",") + "]"
}

// find writes find-options; kind says which options are allowed.
// needOrder forces an order when offset or limit is present, so that the
// records a write picks are fixed by SPEC.
func (g *gen) find(coll string, kind findKind, needOrder bool) string {
	var opts []string
	if g.chance(0.8) || (kind == findWrite && g.chance(0.8)) {
		opts = append(opts, `"where":`+g.cond(coll, 0))
	}
	window := false
	if g.chance(0.3) {
		opts = append(opts, `"offset":`+strconv.Itoa(g.r.IntN(4)))
		window = true
	}
	if g.chance(0.35) {
		l := strconv.Itoa(g.r.IntN(6))
		if g.chance(0.1) {
			l += ".0"
		}
		opts = append(opts, `"limit":`+l)
		window = true
	}
	if g.chance(0.5) || (window && needOrder) {
		opts = append(opts, `"order":`+g.order(coll))
	}
	if kind == findSelect && g.chance(0.25) {
		if g.chance(0.5) {
			opts = append(opts, `"only":`+mQuote(g.pick(genPaths)))
		} else {
			var names []string
			for n := 1 + g.r.IntN(3); n > 0; n-- {
				names = append(names, mQuote(g.pick(genPaths)))
			}
			opts = append(opts, `"only":[`+strings.Join(names, ",")+`]`)
		}
	}
	if kind != findWrite && g.chance(0.25) {
		opts = append(opts, `"distinct":`+strconv.FormatBool(g.chance(0.8)))
	}
	g.r.Shuffle(len(opts), func(i, j int) { opts[i], opts[j] = opts[j], opts[i] })
	return "{" + strings.Join(opts, ",") + "}"
}

func (g *gen) spec() string {
	n := 1
	if g.chance(0.5) {
		n = 2 + g.r.IntN(2)
	}
	paths := append([]string(nil), genIndexPaths...)
	g.r.Shuffle(len(paths), func(i, j int) { paths[i], paths[j] = paths[j], paths[i] })
	if n == 1 && g.chance(0.7) {
		p := mQuote(paths[0])
		return g.pick([]string{p, "[" + p + "]", "[[" + p + `,"asc"]]`})
	}
	comps := make([]string, n)
	for i := range comps {
		p := mQuote(paths[i])
		switch g.r.IntN(3) {
		case 0:
			comps[i] = p
		case 1:
			comps[i] = "[" + p + `,"asc"]`
		default:
			comps[i] = "[" + p + `,"desc"]`
		}
	}
	return "[" + strings.Join(comps, ",") + "]"
}

// existingSpec returns an index spec of coll written in a random
// equivalent form, or a random spec.
func (g *gen) existingSpec(coll string) string {
	c, ok := g.m.colls[coll]
	if !ok || len(c.specs) == 0 || g.chance(0.2) {
		return g.spec()
	}
	s := c.specs[g.r.IntN(len(c.specs))]
	if len(s.comps) == 1 && !s.comps[0].desc {
		p := mQuote(s.comps[0].name)
		return g.pick([]string{p, "[" + p + "]", "[[" + p + `,"asc"]]`})
	}
	comps := make([]string, len(s.comps))
	for i, comp := range s.comps {
		p := mQuote(comp.name)
		switch {
		case comp.desc:
			comps[i] = "[" + p + `,"desc"]`
		case g.chance(0.5):
			comps[i] = p
		default:
			comps[i] = "[" + p + `,"asc"]`
		}
	}
	return "[" + strings.Join(comps, ",") + "]"
}

// records writes 1–3 records for insert or put, sometimes a bad one.
func (g *gen) records(coll string) string {
	n := 1 + g.r.IntN(3)
	recs := make([]string, n)
	for i := range recs {
		id := g.id()
		if g.chance(0.08) {
			id = g.existingID(coll)
		}
		recs[i] = g.record(id)
	}
	if g.chance(0.02) {
		bad := []string{g.record(""), g.record("null"), g.record(`[1]`), `1`, `"x"`, `null`}
		recs[g.r.IntN(n)] = g.pick(bad)
	}
	if n == 1 && g.chance(0.5) && strings.HasPrefix(recs[0], "{") {
		return recs[0]
	}
	return "[" + strings.Join(recs, ",") + "]"
}

// wreq is a write request for the engine with indexes (js) and the same
// write for the engine without indexes (plain), where index changes are
// replaced by a write that changes nothing.
type wreq struct{ js, plain string }

func same(js string) wreq { return wreq{js, js} }

// write writes a random write request; nested writes (depth > 0, inside
// multi-write and checked-write) pick a fixed set of records.
func (g *gen) write(depth int) wreq {
	nested := depth > 0
	coll := g.pick(genColls)
	c := mQuote(coll)
	noop := `["drop-index",` + c + `,"__none__"]`
	switch x := g.r.IntN(100); {
	case x < 25:
		return same(`["insert",` + c + `,` + g.records(coll) + `]`)
	case x < 37:
		return same(`["put",` + c + `,` + g.records(coll) + `]`)
	case x < 52:
		var ch []string
		keys := append(append([]string(nil), genKeys...), "n.x", "new")
		g.r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		for _, k := range keys[:1+g.r.IntN(3)] {
			v := g.value()
			if g.chance(0.3) {
				v = "null"
			}
			ch = append(ch, mQuote(k)+":"+v)
		}
		if g.chance(0.03) {
			ch = append(ch, `"id":`+g.id())
		}
		req := `["update",` + c + `,{` + strings.Join(ch, ",") + `}`
		if g.chance(0.9) {
			req += `,` + g.find(coll, findWrite, nested)
		}
		return same(req + `]`)
	case x < 60:
		if g.chance(0.03) {
			return same(`["delete",` + c + `]`)
		}
		return same(`["delete",` + c + `,` + g.find(coll, findWrite, nested) + `]`)
	case x < 72:
		return wreq{`["create-index",` + c + `,` + g.spec() + `]`, noop}
	case x < 76:
		return wreq{`["drop-index",` + c + `,` + g.existingSpec(coll) + `]`, noop}
	case x < 77 && g.chance(0.5):
		return same(`["drop-collection",` + c + `]`)
	case x < 78 && g.chance(0.2):
		return same(`["clear"]`)
	case x < 92 && depth < 2 && (!nested || g.chance(0.3)):
		n := 2 + g.r.IntN(3)
		qs := make([]wreq, n)
		for i := range qs {
			if g.chance(0.15) {
				qs[i] = same(`["count",` + c + `,` + g.find(coll, findCount, false) + `]`)
			} else {
				qs[i] = g.write(depth + 1)
			}
		}
		if g.chance(0.15) { // fail midway: a duplicated id
			qs[g.r.IntN(n)] = same(`["insert",` + c + `,[` + g.record(`"dup"`) + `,` + g.record(`"dup"`) + `]]`)
		}
		js, plain := make([]string, n), make([]string, n)
		for i, q := range qs {
			js[i], plain[i] = q.js, q.plain
		}
		return wreq{`["multi-write",[` + strings.Join(js, ",") + `]]`, `["multi-write",[` + strings.Join(plain, ",") + `]]`}
	case x < 100 && depth < 2 && (!nested || g.chance(0.3)):
		read := `["count",` + c + `,` + g.find(coll, findCount, false) + `]`
		if g.chance(0.5) {
			read = `["select",` + c + `,{"where":` + g.cond(coll, 0) + `,"order":[["id","asc"]]}]`
		}
		expected := g.m.read(g.tb, read).out
		if g.chance(0.4) {
			expected = g.value()
		}
		w := g.write(depth + 1)
		pre := `["checked-write",` + read + `,` + expected + `,`
		return wreq{pre + w.js + `]`, pre + w.plain + `]`}
	}
	return same(`["insert",` + c + `,` + g.records(coll) + `]`)
}

// read writes a random read request.
func (g *gen) read() string {
	coll := g.pick(genColls)
	c := mQuote(coll)
	switch x := g.r.IntN(100); {
	case x < 60:
		return `["select",` + c + `,` + g.find(coll, findSelect, false) + `]`
	case x < 85:
		return `["count",` + c + `,` + g.find(coll, findCount, false) + `]`
	case x < 90:
		return `["select",` + c + `]`
	case x < 94:
		return `["list-collections"]`
	case x < 97:
		return `["list-indexes",` + c + `]`
	}
	return `["multi-read",[["count",` + c + `],["select",` + c + `,{"order":["id","desc"],"limit":3}],["list-collections"]]]`
}

// respell writes an equal value differently (docs/query-language.md equality is by value):
// integers as 2.0 or 2e0, other numbers in exponent form, non-ASCII string
// characters as \u escapes, object members in reverse order.
func (g *gen) respell(js string) string {
	var b strings.Builder
	g.respellValue(&b, mDecode(g.tb, js))
	return b.String()
}

func (g *gen) respellValue(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case json.Number:
		s := string(v)
		switch {
		case integerTextRE.MatchString(s):
			i, err := strconv.ParseInt(strings.SplitN(s, ".", 2)[0], 10, 64)
			switch {
			case err == nil && i > -1<<53 && i < 1<<53 && g.chance(0.5):
				s = strconv.FormatInt(i, 10) + "e0"
			case !strings.Contains(s, "."):
				s += ".0"
			}
		default:
			f, _ := strconv.ParseFloat(s, 64)
			s = strconv.FormatFloat(f, 'e', -1, 64)
		}
		b.WriteString(s)
	case string:
		b.WriteByte('"')
		for _, r := range v {
			switch {
			case r == '"' || r == '\\':
				b.WriteByte('\\')
				b.WriteRune(r)
			case r < 0x20 || r >= 0x80:
				for _, u := range utf16.Encode([]rune{r}) {
					fmt.Fprintf(b, `\u%04x`, u)
				}
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte('"')
	case []any:
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			g.respellValue(b, x)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := sortedKeys(v)
		slices.Reverse(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(mQuote(k) + ":")
			g.respellValue(b, v[k])
		}
		b.WriteByte('}')
	}
}
