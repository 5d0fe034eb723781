package query

import (
	"strconv"
	"strings"

	"github.com/fleetdb-go/fleetdb/internal/jsontext"
)

// Explain returns the plan as the JSON tree of docs/query-language.md.
func (p *Plan) Explain() []byte {
	node := p.branch.explain(p.coll, p.find.whereRaw)
	if p.sort {
		node = "[\"sort\"," + jsontext.CompactString(p.find.orderRaw) + "," + node + "]"
	}
	f := p.find
	offsetLimit := func(n string) string {
		if f.Offset > 0 {
			n = "[\"offset\"," + strconv.Itoa(f.Offset) + "," + n + "]"
		}
		if f.Limit >= 0 {
			n = "[\"limit\"," + strconv.Itoa(f.Limit) + "," + n + "]"
		}
		return n
	}
	only := func(n string) string {
		if f.Only != nil {
			n = "[\"only\"," + jsontext.CompactString(f.onlyRaw) + "," + n + "]"
		}
		return n
	}
	if f.Distinct {
		node = offsetLimit("[\"distinct\"," + only(node) + "]")
	} else {
		node = only(offsetLimit(node))
	}
	return []byte(node)
}

// explain renders the access path with its remnant filter. whereRaw is the
// whole where as written, used when nothing was consumed.
func (b *branch) explain(coll, whereRaw string) string {
	leaf := b.access.explain(coll)
	switch {
	case len(b.filter) == 0:
		return leaf
	case len(b.filter) == 1:
		return "[\"filter\"," + b.filter[0].Raw() + "," + leaf + "]"
	}
	raws := make([]string, len(b.filter))
	for i, c := range b.filter {
		raws[i] = c.Raw()
	}
	return "[\"filter\",[\"and\"," + strings.Join(raws, ",") + "]," + leaf + "]"
}

func (a *access) explain(coll string) string {
	c := quoteJSON(coll)
	switch a.kind {
	case accessScan:
		return "[\"collection-scan\"," + c + "]"
	case accessLookup:
		return "[\"collection-lookup\",[" + c + "," + a.idJS[0] + "]]"
	case accessMultiLookup:
		return "[\"collection-multilookup\",[" + c + ",[" + strings.Join(a.idJS, ",") + "]]]"
	case accessUnion:
		order := "null"
		if a.orderRaw != "" {
			order = jsontext.CompactString(a.orderRaw)
		}
		kids := make([]string, len(a.branches))
		for i, b := range a.branches {
			kids[i] = b.explain(coll, "")
		}
		return "[\"union\"," + order + ",[" + strings.Join(kids, ",") + "]]"
	}
	specRaw, ncomp := `"id"`, 1 // the record map, ordered by id
	if a.kind == accessIndex {
		specRaw, ncomp = a.ix.Spec().Raw(), len(a.ix.Spec().Components)
	}
	if a.lookup {
		v := a.eqJS[0]
		if ncomp > 1 {
			v = "[" + strings.Join(a.eqJS, ",") + "]"
		}
		return "[\"index-lookup\",[" + c + "," + specRaw + "," + v + "]]"
	}
	dir := "\"left-right\""
	if a.reverse {
		dir = "\"right-left\""
	}
	lo, loInc, hi, hiInc := "\"neg-inf\"", false, "\"pos-inf\"", false
	if r := a.rng; r != nil {
		if r.Lo != nil {
			lo, loInc = compact(r.lo), r.Lo.Inclusive
		}
		if r.Hi != nil {
			hi, hiInc = compact(r.hi), r.Hi.Inclusive
		}
		if a.rngLo != nil {
			lo, loInc = compact(a.rngLo.lo), a.rngLo.Lo.Inclusive
		}
		if a.rngHi != nil {
			hi, hiInc = compact(a.rngHi.hi), a.rngHi.Hi.Inclusive
		}
	}
	if ncomp > 1 {
		los := append([]string(nil), a.eqJS...)
		his := append([]string(nil), a.eqJS...)
		if len(los) < ncomp {
			los, his = append(los, lo), append(his, hi)
		}
		for len(los) < ncomp {
			los, his = append(los, "\"neg-inf\""), append(his, "\"pos-inf\"")
		}
		lo, hi = "["+strings.Join(los, ",")+"]", "["+strings.Join(his, ",")+"]"
	}
	return "[\"index-range\",[" + c + "," + specRaw + "," + dir + "," + lo + "," +
		strconv.FormatBool(loInc) + "," + hi + "," + strconv.FormatBool(hiInc) + "]]"
}
