package query

// TestModel is the model-based random test of the query engine: random
// writes and reads run on the engine with random indexes, on the engine
// without indexes, and on the brute-force model of modeldb_test.go, and
// every answer and state is compared. Replay a failure with
//
//	go test ./query -run TestModel -query.seed=N
//
// and run longer with -query.ops=N.

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/collection"
	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/index"
	"github.com/tidwall/gjson"
)

var (
	modelSeed = flag.Uint64("query.seed", 0, "seed of TestModel (0: a random seed, printed)")
	modelOps  = flag.Int("query.ops", 2000, "number of write requests TestModel runs")
)

func TestModel(t *testing.T) {
	seed := *modelSeed
	if seed == 0 {
		seed = rand.Uint64()>>1 | 1
	}
	t.Logf("seed %d (replay: go test ./query -run 'TestModel$' -query.seed=%d)", seed, seed)
	h := &harness{t: t, seed: seed, m: newMDB(), v: dbvalue.Empty(), plain: dbvalue.Empty(), plans: map[string]int{}}
	h.g = &gen{tb: t, r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), m: h.m}
	for h.writes < *modelOps {
		h.batch()
	}
	t.Logf("seed %d: %d writes (%d refused, %d picked by the engine), %d reads, %.1f records on average; plans: %v",
		seed, h.writes, h.refused, h.nondet, h.reads, float64(h.size)/float64(max(h.batches, 1)), h.plans)
}

type harness struct {
	t      *testing.T
	seed   uint64
	g      *gen
	m      *mDB
	v      *dbvalue.Value // the engine, with indexes
	plain  *dbvalue.Value // the engine without indexes
	step   int
	recent []string

	writes, reads, refused, nondet int
	plans                          map[string]int // leaf kinds of the plans explained
	size                           int            // sum of the record counts after each batch
	batches                        int
}

func (h *harness) fatalf(format string, args ...any) {
	h.t.Helper()
	h.t.Fatalf("seed %d, step %d: %s\nlast requests (replay with -query.seed=%d):\n  %s",
		h.seed, h.step, fmt.Sprintf(format, args...), h.seed, strings.Join(h.recent, "\n  "))
}

func (h *harness) note(req string) {
	h.step++
	h.recent = append(h.recent, strconv.Itoa(h.step)+": "+req)
	if len(h.recent) > 12 {
		h.recent = h.recent[1:]
	}
}

func (h *harness) records() int {
	n := 0
	h.v.Each(func(_ string, c collection.Collection) bool {
		n += c.Len()
		return true
	})
	return n
}

// dumpValue renders a database value canonically, like mDB.dump.
func dumpValue(v *dbvalue.Value, specs bool) string {
	var b strings.Builder
	v.Each(func(name string, c collection.Collection) bool {
		if !specs && c.Len() == 0 {
			return true
		}
		fmt.Fprintf(&b, "collection %s\n", name)
		if specs {
			for _, ix := range c.Indexes() {
				fmt.Fprintf(&b, "  index %s\n", ix.Spec().Raw())
			}
		}
		c.Scan(func(_, rec string) bool {
			fmt.Fprintf(&b, "  %s\n", rec)
			return true
		})
		return true
	})
	return b.String()
}

// batch runs 1–3 writes in one transaction on each engine (as a write
// queue batches them), commits, checks the states, and runs a few reads.
func (h *harness) batch() {
	h.t.Helper()
	old, oldDump := h.v, dumpValue(h.v, true)
	txn, ptxn := h.v.Begin(), h.plain.Begin()
	for n := 1 + h.g.r.IntN(3); n > 0; n-- {
		h.write(txn, ptxn, h.g.write(0))
	}
	// write checked the transaction's view after every write; the value
	// without indexes is cheap to check once per batch.
	h.v, h.plain = txn.Commit(), ptxn.Commit()
	if err := h.plain.Check(); err != nil {
		h.fatalf("after commit (no indexes): %v", err)
	}
	if got := dumpValue(old, true); got != oldDump {
		h.fatalf("the previous value changed after a later transaction:\nbefore:\n%s\nafter:\n%s", oldDump, got)
	}
	if got, want := dumpValue(h.v, true), h.m.dump(true); got != want {
		h.fatalf("state differs from the model:\n%s", lineDiff(want, got))
	}
	if got, want := dumpValue(h.plain, false), h.m.dump(false); got != want {
		h.fatalf("state without indexes differs from the model:\n%s", lineDiff(want, got))
	}
	h.batches++
	h.size += h.records()
	for n := 1 + h.g.r.IntN(4); n > 0; n-- {
		h.read(h.g.read())
	}
}

// write runs one write on both engines and on the model and compares.
func (h *harness) write(txn, ptxn *dbvalue.Txn, w wreq) {
	h.t.Helper()
	h.note(w.js)
	h.writes++
	want := h.m.apply(h.t, w.js)
	before := dumpValue(txn.View(), true)
	q, err := ParseString(w.js)
	var out []byte
	if err == nil {
		out, err = Apply(nil, txn, q, nil)
	}
	if cerr := txn.View().Check(); cerr != nil {
		h.fatalf("after %s: %v", w.js, cerr)
	}
	if want.err != "" {
		h.refused++
		var qe *Error
		switch {
		case err == nil:
			h.fatalf("want error %q, got %s", want.err, out)
		case !errors.As(err, &qe) || !errors.Is(err, ErrRefused):
			h.fatalf("error %v is not a refused *query.Error", err)
		case want.errPrefix && !strings.HasPrefix(err.Error(), want.err):
			h.fatalf("want an error starting %q, got %q", want.err, err)
		case !want.errPrefix && err.Error() != want.err:
			h.fatalf("want error %q, got %q", want.err, err)
		}
		if after := dumpValue(txn.View(), true); after != before {
			h.fatalf("a refused write changed the transaction:\n%s", lineDiff(before, after))
		}
		if pq, perr := ParseString(w.plain); perr == nil {
			if _, perr = Apply(nil, ptxn, pq, nil); perr == nil {
				h.fatalf("the write without indexes succeeded: %s", w.plain)
			}
		}
		return
	}
	if err != nil {
		h.fatalf("want %s, got error %v", want.out, err)
	}
	if string(out) != want.out {
		h.fatalf("want %s, got %s", want.out, out)
	}
	plain := w.plain
	if nd := want.nondet; nd != nil {
		h.nondet++
		plain = h.sync(txn, nd)
	}
	pq, err := ParseString(plain)
	if err != nil {
		h.fatalf("parse %s: %v", plain, err)
	}
	if _, err := Apply(nil, ptxn, pq, nil); err != nil {
		h.fatalf("without indexes, %s: %v", plain, err)
	}
}

// sync reads which records the engine picked for an update or delete whose
// records SPEC leaves open (offset or limit without order), checks the
// choice, applies it to the model and returns the same write with the
// choice spelled out as ids, for the engine without indexes.
func (h *harness) sync(txn *dbvalue.Txn, nd *mNondet) string {
	h.t.Helper()
	c := txn.View().Collection(nd.coll)
	mc := h.m.colls[nd.coll]
	var ids []string
	for _, r := range nd.matched {
		got, ok := c.Get(index.EncodeJSON(r.idRaw))
		switch {
		case nd.delete && !ok:
			ids = append(ids, r.idRaw)
			delete(mc.recs, mIDKey(r.id))
		case nd.delete:
		case !ok:
			h.fatalf("update removed record %s", r.idRaw)
		case got == r.text:
			// not picked, or the changes change nothing
		case got == mMerge(h.t, r.text, nd.changes):
			ids = append(ids, r.idRaw)
			mc.recs[mIDKey(r.id)] = newMRec(h.t, got)
		default:
			h.fatalf("update of %s: got %s, want %s", r.idRaw, got, mMerge(h.t, r.text, nd.changes))
		}
	}
	if nd.delete && len(ids) != nd.n || len(ids) > nd.n {
		h.fatalf("the write picked %d records (%v), want %d", len(ids), ids, nd.n)
	}
	h.m.prune()
	where := `{"where":["in","id",[` + strings.Join(ids, ",") + `]]}`
	if nd.delete {
		return `["delete",` + mQuote(nd.coll) + `,` + where + `]`
	}
	return `["update",` + mQuote(nd.coll) + `,` + nd.changesRaw + `,` + where + `]`
}

// read runs a read on both engines and the model and compares.
func (h *harness) read(req string) {
	h.t.Helper()
	h.note(req)
	h.reads++
	want := h.m.read(h.t, req)
	q, err := ParseString(req)
	if err != nil {
		h.fatalf("parse: %v", err)
	}
	got, err := Execute(nil, h.v, q, nil)
	if err != nil {
		h.fatalf("%v", err)
	}
	plain, err := Execute(nil, h.plain, q, nil)
	if err != nil {
		h.fatalf("without indexes: %v", err)
	}
	switch q.(type) {
	case Select, Count:
		h.explain(q)
	}
	if want.sel == nil {
		if string(got) != want.out {
			h.fatalf("want %s, got %s", want.out, got)
		}
		switch q.(type) {
		case ListCollections, ListIndexes, MultiRead:
			// index-only collections do not exist without indexes
		default:
			if string(plain) != want.out {
				h.fatalf("without indexes: want %s, got %s", want.out, plain)
			}
		}
		return
	}
	h.compareSelect("with indexes", string(got), want.sel)
	h.compareSelect("without indexes", string(plain), want.sel)
	// The planner check: the same results with and without indexes.
	a, b := mSplitArray(h.t, string(got)), mSplitArray(h.t, string(plain))
	switch {
	case want.sel.ordered:
		if string(got) != string(plain) {
			h.fatalf("ordered results differ with and without indexes:\n  %s\n  %s", got, plain)
		}
	case want.sel.exact:
		if !sameMultiset(h.t, a, b, want.sel.opts.distinct) {
			h.fatalf("results differ with and without indexes:\n  %s\n  %s", got, plain)
		}
	default:
		if len(a) != len(b) {
			h.fatalf("result sizes differ with and without indexes:\n  %s\n  %s", got, plain)
		}
	}
}

// explain checks that a find explains to a JSON plan, and that without
// indexes no plan uses one.
func (h *harness) explain(q Query) {
	h.t.Helper()
	ex := Explain{Query: q}
	got, err := Execute(nil, h.v, ex, nil)
	if err != nil || !gjson.ValidBytes(got) {
		h.fatalf("explain: %s, %v", got, err)
	}
	for _, kind := range []string{"collection-scan", "collection-lookup", "collection-multilookup", "index-lookup", "index-range", "union", "sort", "filter"} {
		if strings.Contains(string(got), `["`+kind+`"`) {
			h.plans[kind]++
		}
	}
	h.planQuality(q, string(got))
	plain, err := Execute(nil, h.plain, ex, nil)
	// Without indexes the only index-like access is the record map, which
	// is ordered by id and so serves ranges and orders on id.
	if err != nil || !gjson.ValidBytes(plain) || strings.Contains(idRange.ReplaceAllString(string(plain), ""), `["index-`) {
		h.fatalf("explain without indexes: %s, %v", plain, err)
	}
}

// planQuality checks the planner's preferences of SPEC §5 on the simplest
// cases: an equality on the first component of an index uses an index,
// and an order on it alone (without where) needs no sort.
func (h *harness) planQuality(q Query, plan string) {
	h.t.Helper()
	var coll string
	var f Find
	switch q := q.(type) {
	case Select:
		coll, f = q.Coll, q.Find
	case Count:
		coll, f = q.Coll, q.Find
	default:
		return
	}
	first := map[string]bool{}
	for _, ix := range h.v.Collection(coll).Indexes() {
		first[ix.Spec().Components[0].Path.Key()] = true
	}
	if c, ok := f.Where.(*Compare); ok && c.Op == OpEq && !c.Path.IsID() && first[c.Path.Key()] &&
		!strings.Contains(plan, `["index-`) {
		h.fatalf("an equality on an indexed attribute is not served by an index: %s", plan)
	}
	if _, isSelect := q.(Select); isSelect && f.Where == nil && len(f.Order) == 1 && first[f.Order[0].Path.Key()] &&
		strings.Contains(plan, `["sort"`) {
		h.fatalf("an order on an indexed attribute needs a sort: %s", plan)
	}
}

func (h *harness) compareSelect(which, got string, want *mSelect) {
	h.t.Helper()
	items := mSplitArray(h.t, got)
	distinct := want.opts.distinct
	switch {
	case want.ordered:
		if got != want.text() {
			h.fatalf("%s: want\n  %s\ngot\n  %s", which, want.text(), got)
		}
	case want.exact:
		wantTexts := make([]string, len(want.items))
		for i, it := range want.items {
			wantTexts[i] = it.text
		}
		if !sameMultiset(h.t, items, wantTexts, distinct) {
			h.fatalf("%s: want (in any order)\n  %s\ngot\n  %s", which, want.text(), got)
		}
	default:
		if len(items) != len(want.items) {
			h.fatalf("%s: want %d results, got %d: %s", which, len(want.items), len(items), got)
		}
		for i, it := range items {
			v := mDecode(h.t, it)
			found := false
			for _, w := range want.all {
				if (distinct && mEqual(v, w.val)) || (!distinct && it == w.text) {
					found = true
					break
				}
			}
			if !found {
				h.fatalf("%s: result %s is not a match; matches are\n  %v", which, it, want.all)
			}
			for _, prev := range items[:i] {
				if distinct && mEqual(v, mDecode(h.t, prev)) {
					h.fatalf("%s: distinct results repeat %s: %s", which, it, got)
				}
			}
		}
	}
}

// sameMultiset compares two result lists ignoring order: by text, or with
// distinct (where the representative of equal values depends on the
// order) by value.
func sameMultiset(tb testing.TB, a, b []string, byValue bool) bool {
	tb.Helper()
	if len(a) != len(b) {
		return false
	}
	if !byValue {
		a, b = slices.Clone(a), slices.Clone(b)
		sort.Strings(a)
		sort.Strings(b)
		return slices.Equal(a, b)
	}
	decode := func(xs []string) []any {
		out := make([]any, len(xs))
		for i, x := range xs {
			out[i] = mDecode(tb, x)
		}
		sort.Slice(out, func(i, j int) bool { return mCompare(out[i], out[j]) < 0 })
		return out
	}
	da, db := decode(a), decode(b)
	for i := range da {
		if !mEqual(da[i], db[i]) {
			return false
		}
	}
	return true
}

// lineDiff shows the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	in := func(xs []string, x string) bool { return slices.Contains(xs, x) }
	var b strings.Builder
	for _, l := range wl {
		if !in(gl, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range gl {
		if !in(wl, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	if b.Len() == 0 {
		return "(same lines, different order)\nwant:\n" + want + "got:\n" + got
	}
	return b.String()
}

// idRange matches the access path of the record map (ordered by id), the
// one index-like plan a collection without indexes has.
var idRange = regexp.MustCompile(`\["index-range",\["(?:[^"\\]|\\.)*","id",`)
