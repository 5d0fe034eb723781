package query

// The model database: a brute-force interpreter of the query language of
// SPEC §4 over plain maps. It reads the same request text as the engine
// (decoded with encoding/json) and answers what SPEC says the answer is.
// It supports the requests the generator (modelgen_test.go) writes.

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
)

type mRec struct {
	text  string         // compact JSON as stored and returned
	val   map[string]any // decoded
	id    any
	idRaw string
}

type mSpec struct {
	raw, key string
	comps    []mComp
}

type mComp struct {
	name string // attribute name as written
	desc bool
}

type mColl struct {
	recs  map[string]*mRec // by mIDKey
	specs []mSpec          // creation order
}

type mDB struct{ colls map[string]*mColl }

func newMDB() *mDB { return &mDB{colls: map[string]*mColl{}} }

func (m *mDB) clone() *mDB {
	c := newMDB()
	for name, coll := range m.colls {
		nc := &mColl{recs: make(map[string]*mRec, len(coll.recs)), specs: append([]mSpec(nil), coll.specs...)}
		for k, r := range coll.recs {
			nc.recs[k] = r
		}
		c.colls[name] = nc
	}
	return c
}

func (m *mDB) coll(name string) *mColl {
	c, ok := m.colls[name]
	if !ok {
		c = &mColl{recs: map[string]*mRec{}}
		m.colls[name] = c
	}
	return c
}

// prune removes empty collections: a collection exists while it holds a
// record or an index (SPEC §1).
func (m *mDB) prune() {
	for name, c := range m.colls {
		if len(c.recs) == 0 && len(c.specs) == 0 {
			delete(m.colls, name)
		}
	}
}

// mIDKey is the identity of an id: numbers by value, strings by content.
func mIDKey(v any) string {
	if n, ok := v.(json.Number); ok {
		return "n" + mNumber(n).RatString()
	}
	return "s" + v.(string)
}

// sortedRecs returns a collection's records in id order.
func (c *mColl) sortedRecs() []*mRec {
	out := make([]*mRec, 0, len(c.recs))
	for _, r := range c.recs {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return mCompare(out[i].id, out[j].id) < 0 })
	return out
}

// dump renders the database canonically: names, index specs and records in
// id order; with specs false the indexes are left out.
func (m *mDB) dump(specs bool) string {
	names := make([]string, 0, len(m.colls))
	for n := range m.colls {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		c := m.colls[n]
		if !specs && len(c.recs) == 0 {
			continue
		}
		fmt.Fprintf(&b, "collection %s\n", n)
		if specs {
			for _, s := range c.specs {
				fmt.Fprintf(&b, "  index %s\n", s.raw)
			}
		}
		for _, r := range c.sortedRecs() {
			fmt.Fprintf(&b, "  %s\n", r.text)
		}
	}
	return b.String()
}

// --- conditions and find-options, as the model reads them ---------------

type mFindOpts struct {
	where    any // decoded condition or nil
	order    []mOrderKey
	offset   int
	limit    int // -1 none
	only     [][]string
	onlyOne  bool
	distinct bool
}

type mOrderKey struct {
	steps []string
	desc  bool
}

func mParseFind(tb testing.TB, raw json.RawMessage) mFindOpts {
	tb.Helper()
	f := mFindOpts{limit: -1}
	if raw == nil {
		return f
	}
	var opts map[string]json.RawMessage
	if err := json.Unmarshal(raw, &opts); err != nil {
		tb.Fatalf("model: find options: %v", err)
	}
	if w, ok := opts["where"]; ok {
		f.where = mDecode(tb, string(w))
	}
	if o, ok := opts["order"]; ok {
		var keys []any
		if err := json.Unmarshal(o, &keys); err != nil {
			tb.Fatal(err)
		}
		if _, single := keys[0].(string); single {
			keys = []any{keys}
		}
		for _, k := range keys {
			kk := k.([]any)
			f.order = append(f.order, mOrderKey{steps: mPath(kk[0].(string)), desc: kk[1] == "desc"})
		}
	}
	num := func(key string) int {
		if r, ok := opts[key]; ok {
			n := mNumber(json.Number(strings.TrimSpace(string(r))))
			return int(n.Num().Int64())
		}
		return -1
	}
	if n := num("offset"); n > 0 {
		f.offset = n
	}
	f.limit = num("limit")
	if o, ok := opts["only"]; ok {
		v := mDecode(tb, string(o))
		if s, ok := v.(string); ok {
			f.only, f.onlyOne = [][]string{mPath(s)}, true
		} else {
			for _, x := range v.([]any) {
				f.only = append(f.only, mPath(x.(string)))
			}
		}
	}
	if d, ok := opts["distinct"]; ok {
		f.distinct = string(d) == "true"
	}
	return f
}

// mMatch evaluates a decoded where condition on a record (SPEC §4).
func mMatch(cond any, rec map[string]any) bool {
	c := cond.([]any)
	op := c[0].(string)
	switch op {
	case "and", "or":
		for _, x := range c[1:] {
			if mMatch(x, rec) == (op == "or") {
				return op == "or"
			}
		}
		return op == "and"
	}
	v, _ := mGet(rec, mPath(c[1].(string))) // missing reads as null
	arg := c[2]
	switch op {
	case "=":
		return mEqual(v, arg)
	case "!=":
		return !mEqual(v, arg)
	case "in", "not-in":
		found := false
		for _, x := range arg.([]any) {
			if mEqual(v, x) {
				found = true
			}
		}
		return found == (op == "in")
	case "<", "<=", ">", ">=":
		cmp, ok := mRangeCompare(v, arg)
		if !ok {
			return false
		}
		switch op {
		case "<":
			return cmp < 0
		case "<=":
			return cmp <= 0
		case ">":
			return cmp > 0
		}
		return cmp >= 0
	}
	bounds := arg.([]any)
	lo, okLo := mRangeCompare(v, bounds[0])
	hi, okHi := mRangeCompare(v, bounds[1])
	if !okLo || !okHi {
		return false
	}
	loInc, hiInc := strings.HasPrefix(op, ">="), strings.HasSuffix(op, "<=")
	return (lo > 0 || (loInc && lo == 0)) && (hi < 0 || (hiInc && hi == 0))
}

// matches returns the records matching f.where, ordered by f.order with ties
// (and no order) by id ascending. Offset and limit are not applied.
func (c *mColl) matches(f mFindOpts) []*mRec {
	var out []*mRec
	for _, r := range c.sortedRecs() {
		if f.where == nil || mMatch(f.where, r.val) {
			out = append(out, r)
		}
	}
	if len(f.order) > 0 {
		sort.SliceStable(out, func(i, j int) bool {
			for _, k := range f.order {
				a, _ := mGet(out[i].val, k.steps)
				b, _ := mGet(out[j].val, k.steps)
				c := mCompare(a, b)
				if k.desc {
					c = -c
				}
				if c != 0 {
					return c < 0
				}
			}
			return false // stable: the id order of sortedRecs breaks ties
		})
	}
	return out
}

// window applies offset and limit to n items: the index range [lo, hi).
func (f mFindOpts) window(n int) (lo, hi int) {
	lo = min(f.offset, n)
	hi = n
	if f.limit >= 0 && lo+f.limit < hi {
		hi = lo + f.limit
	}
	return lo, hi
}

// deterministic reports whether the set of records a find picks is fixed
// by SPEC when n records match: with an order always; without one only
// when offset and limit cut nothing.
func (f mFindOpts) deterministic(n int) bool {
	if len(f.order) > 0 {
		return true
	}
	lo, hi := f.window(n)
	return lo == 0 && hi == n
}

// mItem is one select result: its JSON text and decoded value.
type mItem struct {
	text string
	val  any
}

// mSelect is the model's answer to a select.
type mSelect struct {
	items   []mItem // after offset and limit
	all     []mItem // before offset and limit (after distinct)
	ordered bool    // the sequence is fixed by SPEC
	exact   bool    // the window picks a fixed set
	opts    mFindOpts
}

func (m *mDB) selectFind(tb testing.TB, coll string, f mFindOpts) mSelect {
	tb.Helper()
	var recs []*mRec
	if c, ok := m.colls[coll]; ok {
		recs = c.matches(f)
	}
	var items []mItem
	for _, r := range recs {
		it := mItem{text: r.text, val: any(r.val)}
		if f.only != nil {
			it = project(tb, r, f)
		}
		if f.distinct && containsEqual(items, it.val) {
			continue
		}
		items = append(items, it)
	}
	lo, hi := f.window(len(items))
	return mSelect{items: items[lo:hi], all: items, ordered: len(f.order) > 0, exact: f.deterministic(len(items)), opts: f}
}

func project(tb testing.TB, r *mRec, f mFindOpts) mItem {
	tb.Helper()
	vals := make([]any, len(f.only))
	texts := make([]string, len(f.only))
	for i, steps := range f.only {
		vals[i], _ = mGet(r.val, steps)
		texts[i] = mGetRaw(tb, r.text, steps)
	}
	if f.onlyOne {
		return mItem{text: texts[0], val: vals[0]}
	}
	return mItem{text: "[" + strings.Join(texts, ",") + "]", val: vals}
}

func containsEqual(items []mItem, v any) bool {
	for _, it := range items {
		if mEqual(it.val, v) {
			return true
		}
	}
	return false
}

func (s mSelect) text() string {
	texts := make([]string, len(s.items))
	for i, it := range s.items {
		texts[i] = it.text
	}
	return "[" + strings.Join(texts, ",") + "]"
}

func (m *mDB) count(tb testing.TB, coll string, f mFindOpts) int {
	tb.Helper()
	c, ok := m.colls[coll]
	if !ok {
		return 0
	}
	n := len(c.matches(f))
	if f.distinct && f.only != nil {
		n = len(m.selectFind(tb, coll, f).all)
	}
	lo, hi := f.window(n)
	return hi - lo
}

// --- requests ----------------------------------------------------------

// mResult is the model's answer to a request.
type mResult struct {
	out string // the JSON result, when err == ""
	err string // the expected error message, or its prefix when errPrefix
	// errPrefix: only the prefix of err is fixed (Malformed query details
	// are the engine's to word).
	errPrefix bool
	sel       *mSelect // for a select: how to compare
	// nondet: a write whose records SPEC does not fix (offset/limit without
	// order); the harness reads the engine's choice and syncs the model.
	nondet *mNondet
}

type mNondet struct {
	coll       string
	matched    []*mRec // every candidate, in id order
	n          int     // how many the write must affect
	changes    []mChange
	changesRaw string
	delete     bool
}

func splitRequest(tb testing.TB, req string) (string, []json.RawMessage) {
	tb.Helper()
	var parts []json.RawMessage
	if err := json.Unmarshal([]byte(req), &parts); err != nil {
		tb.Fatalf("model: request %s: %v", req, err)
	}
	var name string
	if err := json.Unmarshal(parts[0], &name); err != nil {
		tb.Fatal(err)
	}
	return name, parts[1:]
}

func unquote(tb testing.TB, raw json.RawMessage) string {
	tb.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		tb.Fatalf("model: %s: %v", raw, err)
	}
	return s
}

// read answers a read request.
func (m *mDB) read(tb testing.TB, req string) mResult {
	tb.Helper()
	name, args := splitRequest(tb, req)
	optArg := func() json.RawMessage {
		if len(args) > 1 {
			return args[1]
		}
		return nil
	}
	switch name {
	case "select":
		s := m.selectFind(tb, unquote(tb, args[0]), mParseFind(tb, optArg()))
		return mResult{out: s.text(), sel: &s}
	case "count":
		return mResult{out: strconv.Itoa(m.count(tb, unquote(tb, args[0]), mParseFind(tb, optArg())))}
	case "list-collections":
		var names []string
		for n := range m.colls {
			names = append(names, mQuote(n))
		}
		sort.Strings(names)
		return mResult{out: "[" + strings.Join(names, ",") + "]"}
	case "list-indexes":
		var raws []string
		if c, ok := m.colls[unquote(tb, args[0])]; ok {
			for _, s := range c.specs {
				raws = append(raws, s.raw)
			}
		}
		return mResult{out: "[" + strings.Join(raws, ",") + "]"}
	case "multi-read":
		var inner []json.RawMessage
		if err := json.Unmarshal(args[0], &inner); err != nil {
			tb.Fatal(err)
		}
		outs := make([]string, len(inner))
		for i, q := range inner {
			outs[i] = m.read(tb, string(q)).out
		}
		return mResult{out: "[" + strings.Join(outs, ",") + "]"}
	}
	tb.Fatalf("model: unsupported read %s", req)
	return mResult{}
}
