package query

import (
	"slices"
	"unicode/utf8"

	"github.com/fleetdb-go/fleetdb/collection"
	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/index"
	"github.com/fleetdb-go/fleetdb/internal/jsontext"
)

// Point reads: a select whose only option is one equality, on "id" or on
// the first component of an index, is the read every layer above issues
// most (get by id, get by a unique attribute). The general path parses the
// request into a Query, plans it into a Plan and runs the plan through
// closures; at a million records every allocation there costs more than
// the tree walk, because each one brings the next collection of a large
// heap closer. The point path reads the request text directly and answers
// from the record map or the index without allocating anything but the
// result.
//
// It gives exactly the answers of the general path: it only takes requests
// whose every byte it has checked (a strict subset of valid JSON, so the
// general parser would accept them and build the same Select), and it
// chooses the access path the planner chooses for a single equality
// without order: the record map for "id", else the earliest created index
// whose first component is the attribute. When it cannot answer (no such
// index, an unusual shape) the caller takes the general path.

// Point is a select recognized by Point.Parse: a collection, an attribute
// and a value, all pointing into the request text (valid while it is).
type Point struct {
	coll, attr []byte
	val        []byte // a JSON number, or the contents of a JSON string without escapes
	str        bool
	isInt      bool // val is an integer of at most 18 digits, whose value is n
	n          int64
	limit      int    // -1: none
	order      []byte // the attribute of an order option, nil without one
	desc       bool   // the order's direction
}

// pointEncMax bounds the stack buffers of the point path; longer encoded
// values take the general path.
const pointEncMax = 128

// Parse recognizes `["select", coll, {"where": ["=", attr, value]}]`,
// optionally with `, "order": [attr2, "asc"|"desc"]` and then `, "limit":
// n` after the where (any JSON whitespace between tokens), where coll, attr
// and attr2 are strings, value is a number or a string, none of them with
// escapes or control characters, and n is a non-negative integer written
// in at most 15 digits, into p, which it overwrites whatever the outcome.
// It reports false for anything else, which then takes query.Parse.
//
// It fills the caller's Point in place: returned by value, the Point was
// written by the callee a word at a time and read back by the caller 16
// bytes at a time, loads that the processor cannot forward from the
// pending stores, so each waited for them to retire (perf annotate of the
// in-process get loop: 8 % of its cycles on the first such load).
func (p *Point) Parse(req []byte) bool {
	*p = Point{}
	if p.compact(req) {
		return true
	}
	*p = Point{}
	return p.tokens(req)
}

// tokens is Parse a token at a time, white space allowed.
func (p *Point) tokens(req []byte) (ok bool) {
	p.limit = -1
	s := scanner{b: req}
	s.ws()
	if !s.lits(`["select",`, `[`, `"select"`, `,`) {
		return false
	}
	if p.coll, ok = s.str(); !ok || len(p.coll) == 0 {
		return false
	}
	if !s.lits(`,{"where":["=",`, `,`, `{`, `"where"`, `:`, `[`, `"="`, `,`) {
		return false
	}
	if p.attr, ok = s.str(); !ok || !validPathText(p.attr) || !s.lit(`,`) {
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '"' {
		p.val, ok = s.str()
		p.str = true
	} else {
		p.val, ok = s.num()
	}
	if !ok || !s.lit(`]`) {
		return false
	}
	// Options after the where: an order, then a limit, each optional.
	more := s.lit(`,`)
	if more && s.lit(`"order"`) {
		if !s.lit(`:`) || !s.lit(`[`) {
			return false
		}
		if p.order, ok = s.str(); !ok || !validPathText(p.order) || !s.lit(`,`) {
			return false
		}
		switch {
		case s.lit(`"asc"`):
		case s.lit(`"desc"`):
			p.desc = true
		default:
			return false
		}
		if !s.lit(`]`) {
			return false
		}
		more = s.lit(`,`)
	}
	if more {
		if !s.lit(`"limit"`) || !s.lit(`:`) {
			return false
		}
		if p.limit, ok = s.count(); !ok {
			return false
		}
	}
	if !s.lit(`}`) || !s.lit(`]`) || s.i != len(s.b) {
		return false
	}
	return true
}

// Select appends the JSON array of the point's results to dst. It reports
// false (and appends nothing) when the general path must answer: the
// attribute is not "id" and no index starts with it, or the value's
// encoding is unusually long.
func (p *Point) Select(dst []byte, v *dbvalue.Value) ([]byte, bool) {
	if len(p.val) > pointEncMax/2 {
		return dst, false
	}
	var buf [pointEncMax]byte
	enc := p.appendValue(buf[:0])
	c := v.Collection(string(p.coll))
	if p.order != nil {
		return selectEqOrdered(dst, c, string(p.attr), string(enc), string(p.order), p.desc, p.limit)
	}
	return selectEq(dst, c, string(p.attr), string(enc), p.limit)
}

// appendValue appends the encoded value of the point's equality.
func (p *Point) appendValue(dst []byte) []byte {
	switch {
	case p.str:
		return index.AppendString(dst, string(p.val))
	case p.isInt:
		return index.AppendNumber(dst, index.Number{IsInt: true, Int: p.n}) // as ParseNumberText reads it
	}
	return index.AppendNumber(dst, index.ParseNumberText(string(p.val)))
}

// selectPoint answers a parsed select whose find is a single equality and
// no other option but limit and an order on one attribute; it reports
// false for any other select.
func selectPoint(dst []byte, c collection.Collection, f *Find) ([]byte, bool) {
	cmp, ok := f.Where.(*Compare)
	if !ok || cmp.Op != OpEq || len(f.Order) > 1 || f.Offset != 0 || f.Only != nil || f.Distinct {
		return dst, false
	}
	if len(f.Order) == 1 {
		o := f.Order[0]
		return selectEqOrdered(dst, c, cmp.Path.Key(), cmp.Enc, o.Path.Key(), o.Desc, f.Limit)
	}
	return selectEq(dst, c, cmp.Path.Key(), cmp.Enc, f.Limit)
}

// selectEq appends the records whose attribute attr (a path key) has the
// encoded value enc, at most limit of them (limit < 0: all), as a JSON
// array, reading them the way the planner would for this one condition.
// It reports false when the planner would scan.
func selectEq(dst []byte, c collection.Collection, attr, enc string, limit int) ([]byte, bool) {
	if attr == "id" {
		rec, ok := c.Get(enc)
		if !ok || limit == 0 {
			rec = ""
		}
		return AppendByIDResult(slices.Grow(dst, len(rec)+2), rec), true // the result is the one allocation
	}
	ix, ok := eqIndex(c, attr)
	if !ok {
		return dst, false
	}
	return appendEqual(dst, ix, enc, limit, false), true
}

// selectEqOrdered appends, as selectEq, the records whose attribute attr
// has the encoded value enc, in the order of attribute ord (descending
// with desc; ties by ascending id, as every order ends), at most limit of
// them. It reads them from an index of exactly the components [attr, ord]
// (either direction for ord): within the equality its entries come by ord,
// then by id, so a forward scan or a reverse scan by groups gives exactly
// the order asked for. It reports false when no such index exists, or for
// an order on attr itself or on id (the general path answers those).
func selectEqOrdered(dst []byte, c collection.Collection, attr, enc, ord string, desc bool, limit int) ([]byte, bool) {
	if attr == "id" || ord == "id" || ord == attr {
		return dst, false
	}
	var ix index.Index
	found := false
	for _, x := range c.Indexes() {
		comps := x.Spec().Components
		if len(comps) == 2 && comps[0].Path.Key() == attr && comps[1].Path.Key() == ord {
			ix, found = x, true
			break
		}
	}
	if !found {
		return dst, false
	}
	return appendEqual(dst, ix, enc, limit, desc != ix.Spec().Components[1].Desc), true
}

// appendEqual appends, as a JSON array, the records of the entries of ix
// whose first component has the encoded value enc, at most limit of them
// (limit < 0: all), in the index's order or, with groupsBack, backward by
// groups of equal components (each group in ascending id order). The
// records (stored strings) are gathered first and the answer grown once:
// it is the one allocation however many records it holds.
func appendEqual(dst []byte, ix index.Index, enc string, limit int, groupsBack bool) []byte {
	var buf [pointEncMax + 1]byte
	key := index.AppendEncoded(buf[:0], ix.Spec().Components[0], enc)
	n := len(key)
	key = append(key, 0xFF) // PrefixRange
	var stack [128]string
	recs := stack[:0]
	take := func(_, _, rec string) bool {
		recs = append(recs, rec)
		limit--
		return limit != 0
	}
	switch {
	case limit == 0:
	case groupsBack:
		ix.ScanGroupsReverse(string(key[:n]), string(key), take)
	default:
		ix.Scan(string(key[:n]), string(key), false, take)
	}
	return appendRecords(dst, recs)
}

// appendRecords appends recs as a JSON array to dst, grown once to its
// size.
func appendRecords(dst []byte, recs []string) []byte {
	size := 2
	for _, rec := range recs {
		size += len(rec) + 1
	}
	dst = slices.Grow(dst, size)
	dst = append(dst, '[')
	for i, rec := range recs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, rec...)
	}
	return append(dst, ']')
}

// eqIndex returns the index the planner uses for a single equality on the
// attribute with path key attr and no order: the earliest created whose
// first component is that attribute (every such index consumes the one
// condition and none provides an order, so creation order decides).
func eqIndex(c collection.Collection, attr string) (index.Index, bool) {
	for _, ix := range c.Indexes() {
		if ix.Spec().Components[0].Path.Key() == attr {
			return ix, true
		}
	}
	return index.Index{}, false
}

// validPathText reports whether an attribute name without backslashes is
// valid (index.ParsePath): not empty, and no empty step.
func validPathText(name []byte) bool {
	if len(name) == 0 || name[0] == '.' || name[len(name)-1] == '.' {
		return false
	}
	for i := 1; i < len(name); i++ {
		if name[i] == '.' && name[i-1] == '.' {
			return false
		}
	}
	return true
}

// scanner reads the tokens of a point request.
type scanner struct {
	b []byte
	i int
}

// ws skips JSON whitespace.
func (s *scanner) ws() { s.i = jsontext.SkipSpace(s.b, s.i) }

// lit consumes the literal token t and the whitespace after it.
func (s *scanner) lit(t string) bool {
	if len(s.b)-s.i < len(t) || string(s.b[s.i:s.i+len(t)]) != t {
		return false
	}
	s.i += len(t)
	s.ws()
	return true
}

// lits consumes the literal tokens toks in order, with any whitespace
// between them; compact, their concatenation, is tried first: most requests
// are written without whitespace, and one comparison is cheaper than a
// token at a time.
func (s *scanner) lits(compact string, toks ...string) bool {
	if len(s.b)-s.i >= len(compact) && string(s.b[s.i:s.i+len(compact)]) == compact {
		s.i += len(compact)
		s.ws()
		return true
	}
	for _, t := range toks {
		if !s.lit(t) {
			return false
		}
	}
	return true
}

// str consumes a string without escapes or control characters, in valid
// UTF-8, and the whitespace after it; it returns the contents.
func (s *scanner) str() ([]byte, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	start := s.i + 1
	ascii := true
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			v := s.b[start:j]
			if !ascii && !utf8.Valid(v) {
				return nil, false
			}
			s.i = j + 1
			s.ws()
			return v, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= 0x80:
			ascii = false
		}
	}
	return nil, false
}

// count consumes a non-negative integer of at most 15 digits without
// leading zeros (as a limit: within what parseNonNegative takes as is) and
// the whitespace after it.
func (s *scanner) count() (int, bool) {
	start, n := s.i, 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		n = n*10 + int(s.b[s.i]-'0')
		s.i++
	}
	digits := s.i - start
	if digits == 0 || digits > 15 || (digits > 1 && s.b[start] == '0') {
		return 0, false
	}
	if s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		return 0, false
	}
	s.ws()
	return n, true
}

// num consumes a number in JSON's grammar and the whitespace after it.
func (s *scanner) num() ([]byte, bool) {
	end, k := jsontext.ScanNumber(s.b, s.i)
	if k != jsontext.KindOK {
		return nil, false
	}
	v := s.b[s.i:end]
	s.i = end
	s.ws()
	return v, true
}

// compact is Parse for the shape nearly every client sends:
// `["select","C",{"where":["=","A",V]}]` without white space, the names in
// printable ASCII without escapes, and V an integer of at most 18 digits or
// such a string. It compares a few literals where the scanner takes a token
// at a time, and reads the integer as it goes. It reports false for
// anything else, which the scanner then reads (or refuses) as before.
func (p *Point) compact(req []byte) bool {
	const head, mid, tail = `["select","`, `",{"where":["=","`, `]}]`
	if len(req) < len(head) || string(req[:len(head)]) != head {
		return false
	}
	i := len(head)
	if p.coll, i = asciiText(req, i); p.coll == nil || len(p.coll) == 0 ||
		len(req)-i < len(mid)+1 || string(req[i:i+len(mid)]) != mid {
		return false
	}
	i += len(mid)
	if p.attr, i = asciiText(req, i); p.attr == nil || !validPathText(p.attr) || i+1 >= len(req) || req[i] != '"' || req[i+1] != ',' {
		return false
	}
	i += 2
	if i < len(req) && req[i] == '"' {
		if p.val, i = asciiText(req, i+1); p.val == nil || i >= len(req) || req[i] != '"' {
			return false
		}
		p.str = true
		i++
	} else {
		start := i
		neg := i < len(req) && req[i] == '-'
		if neg {
			i++
		}
		digits := i
		for i < len(req) && req[i] >= '0' && req[i] <= '9' {
			p.n = p.n*10 + int64(req[i]-'0')
			i++
		}
		if n := i - digits; n == 0 || n > 18 || (n > 1 && req[digits] == '0') {
			return false
		}
		if neg {
			p.n = -p.n
		}
		p.val, p.isInt = req[start:i], true
	}
	if string(req[i:]) != tail {
		return false // white space, options, a fraction or an exponent: the scanner decides
	}
	p.limit = -1
	return true
}

// asciiText returns the bytes of req from i up to the next '"' and the index
// of that quote, or nil if one of them is not printable ASCII or a
// backslash, or no quote follows.
func asciiText(req []byte, i int) ([]byte, int) {
	for j := i; j < len(req); j++ {
		switch c := req[j]; {
		case c == '"':
			return req[i:j:j], j
		case c < 0x20 || c >= 0x80 || c == '\\':
			return nil, j
		}
	}
	return nil, len(req)
}

// Collection returns the name of the point's collection: bytes of the
// request it was parsed from.
func (p *Point) Collection() []byte { return p.coll }

// ByID reports whether the point reads one record by id: an equality on
// "id", no order, any limit but 0, and a value short enough for Select.
// Its result is then "[]" or the record in brackets, and AppendIDKey gives
// the key to look up. A server answering a batch of such reads gathers
// their keys to look them up together (collection.Collection.GetMany).
func (p *Point) ByID() bool {
	return string(p.attr) == "id" && p.order == nil && p.limit != 0 && len(p.val) <= pointEncMax/2
}

// AppendByIDResult appends the result of a point read by id (ByID) whose
// lookup found the record rec ("": none), as Select does.
func AppendByIDResult(dst []byte, rec string) []byte {
	if rec == "" {
		return append(dst, "[]"...)
	}
	dst = append(dst, '[')
	dst = append(dst, rec...)
	return append(dst, ']')
}

// AppendIDKey appends the encoded id of a point that reads one record by
// id (ByID), the key Select looks up, and reports true; for any other
// point it appends nothing and reports false.
func (p *Point) AppendIDKey(dst []byte) ([]byte, bool) {
	if !p.ByID() {
		return dst, false
	}
	return p.appendValue(dst), true
}
