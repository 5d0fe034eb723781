package query

import (
	"slices"
	"sort"

	"github.com/fleetdb-go/fleetdb/collection"
	"github.com/fleetdb-go/fleetdb/index"
)

// accessKind is how a plan reaches candidate records.
type accessKind int

const (
	accessScan        accessKind = iota // every record, in id order
	accessLookup                        // one id
	accessMultiLookup                   // a set of ids, in id order
	accessIndex                         // a range of one index
	accessIDRange                       // a range of the record map, ordered by id
	accessUnion                         // the union of branches (an or)
)

// access is the leaf of a plan (or a union of branches).
type access struct {
	kind accessKind
	ids  []string // encoded ids (lookup, multilookup), sorted
	idJS []string // the ids as JSON, for explain

	ix      index.Index
	from    string // index byte range [from, to); to == "" means unbounded
	to      string
	reverse bool
	// groupsAsc: a reverse scan whose groups of entries with equal
	// components come in ascending id order (ties on an order that covers
	// every remaining component).
	groupsAsc bool
	lookup    bool     // every component has an equality: index-lookup
	eqJS      []string // equality values as JSON, one per leading component
	rng       *Range   // the range condition on the next component, if any
	rngLo     *Range   // a second range condition that supplied the lower bound
	rngHi     *Range   // ... or the upper bound

	branches []*branch // union
	order    []OrderKey
	orderRaw string
}

// branch is one access path with the conditions it does not consume.
type branch struct {
	access access
	filter []Cond
}

// Plan is how a find runs on one collection.
type Plan struct {
	coll   string
	c      collection.Collection
	branch // the access path and the remnant filter
	find   Find

	sort   bool // the results must be sorted by find.Order
	tieFix bool // the access provides find.Order; ties must be put in id order
}

// PlanFind plans a find on the named collection of a value.
func PlanFind(coll string, c collection.Collection, f Find) *Plan {
	p := &Plan{coll: coll, c: c, find: f}
	if or, ok := f.Where.(*Or); ok {
		if b, ok := planUnion(c, or, f); ok {
			p.branch = *b
			return p
		}
	}
	var provided, tieFix bool
	p.branch, provided, tieFix = planConjunction(c, conjuncts(f.Where), f.Order)
	switch {
	case len(f.Order) == 0:
	case provided:
		p.tieFix = tieFix
	default:
		p.sort = true
	}
	return p
}

// conjuncts flattens nested ands.
func conjuncts(c Cond) []Cond {
	switch c := c.(type) {
	case nil:
		return nil
	case *And:
		var out []Cond
		for _, x := range c.Conds {
			out = append(out, conjuncts(x)...)
		}
		return out
	}
	return []Cond{c}
}

// planUnion plans an or whose every branch has an access path better than
// a scan; it reports false otherwise.
func planUnion(c collection.Collection, or *Or, f Find) (*branch, bool) {
	u := &branch{access: access{kind: accessUnion, order: f.Order, orderRaw: f.orderRaw}}
	for _, x := range or.Conds {
		var b branch
		if inner, ok := x.(*Or); ok {
			ub, ok := planUnion(c, inner, Find{})
			if !ok {
				return nil, false
			}
			b = *ub
		} else {
			b, _, _ = planConjunction(c, conjuncts(x), nil)
		}
		if b.access.kind == accessScan {
			return nil, false
		}
		u.access.branches = append(u.access.branches, &b)
	}
	return u, true
}

// planConjunction chooses the access path for a list of conditions that
// must all hold, and reports whether the path provides the order (and if
// so, whether ties on the order keys need sorting by id).
func planConjunction(c collection.Collection, conds []Cond, order []OrderKey) (b branch, provided, tieFix bool) {
	// A lookup by id beats everything.
	for i, x := range conds {
		if cmp, ok := x.(*Compare); ok && cmp.Op == OpEq && cmp.Path.IsID() {
			b.access = access{kind: accessLookup, ids: []string{cmp.Enc}, idJS: []string{compact(cmp.Value)}}
			b.filter = without(conds, i)
			return b, true, false // at most one record: any order holds
		}
	}
	for i, x := range conds {
		if in, ok := x.(*In); ok && !in.Negate && in.Path.IsID() {
			a := access{kind: accessMultiLookup}
			for j, e := range in.Encs {
				a.ids = append(a.ids, e)
				a.idJS = append(a.idJS, compact(in.Values[j]))
			}
			sortIDs(&a)
			b.access = a
			b.filter = without(conds, i)
			return b, isIDAsc(order), false
		}
	}
	// Every index is weighed; only the best one's bounds are computed.
	best, bestIx := candidate{consumed: -1}, -1
	for i, ix := range c.Indexes() {
		if cand := matchIndex(ix, conds, order, false); cand.better(best) {
			best, bestIx = cand, i
		}
	}
	if bestIx >= 0 {
		best = matchIndex(c.Indexes()[bestIx], conds, order, true)
	}
	// The record map is ordered by id: it serves a range on id and an order
	// by id like an index, without a second lookup per record, so it wins
	// ties, except against an index equality (usually more selective than
	// a range).
	if ids := matchIDs(conds, order); (ids.consumed > 0 || ids.access.reverse) && !best.better(ids) &&
		(ids.better(best) || len(best.access.eqJS) == 0) {
		best = ids
	}
	if best.consumed <= 0 && !best.provides {
		b.access = access{kind: accessScan}
		b.filter = conds
		return b, isIDAsc(order), false
	}
	b.access = best.access
	for i, x := range conds {
		if !best.used.has(i) {
			b.filter = append(b.filter, x)
		}
	}
	return b, best.provides, best.tieFix
}

func without(conds []Cond, i int) []Cond {
	out := make([]Cond, 0, len(conds)-1)
	out = append(out, conds[:i]...)
	return append(out, conds[i+1:]...)
}

func isIDAsc(order []OrderKey) bool {
	return len(order) == 0 || (order[0].Path.IsID() && !order[0].Desc)
}

var idPath = index.MustPath("id")

// matchIDs computes what the record map can do: a range condition on id,
// and the order [id asc|desc].
func matchIDs(conds []Cond, order []OrderKey) candidate {
	cand := candidate{}
	a := access{kind: accessIDRange}
	if r, lo, hi := findRange(conds, idPath, &cand.used); r != nil {
		a.rng, a.rngLo, a.rngHi = r, lo, hi
		loB, hiB := r.Lo, r.Hi
		if lo != nil {
			loB = lo.Lo
		}
		if hi != nil {
			hiB = hi.Hi
		}
		a.from, a.to = index.ComponentRange(nil, index.Component{Path: idPath}, r.Class, loB, hiB)
	}
	cand.consumed = cand.used.len()
	if len(order) > 0 && order[0].Path.IsID() { // ids are unique: later keys never matter
		cand.provides = true
		a.reverse = order[0].Desc
	}
	cand.access = a
	return cand
}

// candidate is what one index can do for a conjunction.
type candidate struct {
	access   access
	used     condSet
	consumed int
	provides bool
	tieFix   bool
}

func (c candidate) better(o candidate) bool {
	if c.consumed != o.consumed {
		return c.consumed > o.consumed
	}
	return c.provides && !o.provides
}

// matchIndex computes how ix serves the conditions and the order: equality
// on a prefix of its components, then at most one range on the next one.
// Without bounds it only weighs the index (what it consumes, whether it
// provides the order) and leaves the byte range and the explain values
// unset: the planner computes those for the chosen index alone.
func matchIndex(ix index.Index, conds []Cond, order []OrderKey, bounds bool) candidate {
	comps := ix.Spec().Components
	cand := candidate{}
	a := access{kind: accessIndex, ix: ix}
	var prefix []byte
	var eqArr [8]string
	eqKeys := eqArr[:0] // path keys of the equality components
	k := 0
	for ; k < len(comps); k++ {
		i, cmp := findEq(conds, comps[k].Path, &cand.used)
		if cmp == nil {
			break
		}
		cand.used.add(i)
		eqKeys = append(eqKeys, comps[k].Path.Key())
		if bounds {
			prefix = index.AppendEncoded(prefix, comps[k], cmp.Enc)
			a.eqJS = append(a.eqJS, compact(cmp.Value))
		}
	}
	switch {
	case k == len(comps):
		a.lookup = true
		if bounds {
			a.from, a.to = index.PrefixRange(prefix)
		}
	default:
		if r, lo, hi := findRange(conds, comps[k].Path, &cand.used); r != nil {
			a.rng, a.rngLo, a.rngHi = r, lo, hi
			loB, hiB := r.Lo, r.Hi
			if lo != nil {
				loB = lo.Lo
			}
			if hi != nil {
				hiB = hi.Hi
			}
			if bounds {
				a.from, a.to = index.ComponentRange(prefix, comps[k], r.Class, loB, hiB)
			}
		} else if k > 0 && bounds {
			a.from, a.to = index.PrefixRange(prefix)
		}
	}
	cand.consumed = cand.used.len()
	// Order: keys on equality components are constant and drop out; the
	// rest must be the next components, all in the index's direction or
	// all against it.
	var restArr [4]OrderKey
	rest := restArr[:0]
	for _, o := range order {
		if !slices.Contains(eqKeys, o.Path.Key()) {
			rest = append(rest, o)
		}
	}
	switch {
	case len(order) == 0:
	case len(rest) == 0:
		cand.provides = a.lookup // all equal: id order
	case len(rest) <= len(comps)-k:
		fwd, bwd := true, true
		for j, o := range rest {
			c := comps[k+j]
			if c.Path.Key() != o.Path.Key() {
				fwd, bwd = false, false
				break
			}
			if c.Desc != o.Desc {
				fwd = false
			} else {
				bwd = false
			}
		}
		if fwd || bwd {
			cand.provides = true
			a.reverse = bwd
			covers := len(rest) == len(comps)-k
			// Ties come in id order from a forward scan; a reverse scan that
			// covers every remaining component reads each group forward.
			a.groupsAsc = bwd && covers
			cand.tieFix = !covers
		}
	}
	cand.access = a
	return cand
}

func findEq(conds []Cond, p index.Path, used *condSet) (int, *Compare) {
	for i, x := range conds {
		if cmp, ok := x.(*Compare); ok && !used.has(i) && cmp.Op == OpEq && cmp.Path.Key() == p.Key() {
			return i, cmp
		}
	}
	return -1, nil
}

// findRange finds a range condition on p, and possibly a second one of the
// same class that supplies the bound the first lacks.
func findRange(conds []Cond, p index.Path, used *condSet) (r, lo, hi *Range) {
	for i, x := range conds {
		c, ok := x.(*Range)
		if !ok || used.has(i) || c.Path.Key() != p.Key() {
			continue
		}
		switch {
		case r == nil:
			r = c
		case c.Class != r.Class:
			continue
		case r.Lo == nil && lo == nil && c.Lo != nil && c.Hi == nil:
			lo = c
		case r.Hi == nil && hi == nil && c.Hi != nil && c.Lo == nil:
			hi = c
		default:
			continue
		}
		used.add(i)
	}
	return r, lo, hi
}

// condSet is a set of condition positions: a bit mask for the first 64 (a
// plan considers every index, so the planner makes several per query), a
// map past them.
type condSet struct {
	bits uint64
	more map[int]bool
	n    int
}

func (s *condSet) has(i int) bool {
	if i < 64 {
		return s.bits&(1<<uint(i)) != 0
	}
	return s.more[i]
}

func (s *condSet) add(i int) {
	if s.has(i) {
		return
	}
	s.n++
	if i < 64 {
		s.bits |= 1 << uint(i)
		return
	}
	if s.more == nil {
		s.more = map[int]bool{}
	}
	s.more[i] = true
}

func (s *condSet) len() int { return s.n }

func sortIDs(a *access) { sort.Sort(idList{a}) }

type idList struct{ a *access }

func (l idList) Len() int           { return len(l.a.ids) }
func (l idList) Less(i, j int) bool { return l.a.ids[i] < l.a.ids[j] }
func (l idList) Swap(i, j int) {
	l.a.ids[i], l.a.ids[j] = l.a.ids[j], l.a.ids[i]
	l.a.idJS[i], l.a.idJS[j] = l.a.idJS[j], l.a.idJS[i]
}
