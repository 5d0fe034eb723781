package query

import (
	"slices"
	"strings"

	"github.com/fleetdb-go/fleetdb/collection"
	"github.com/fleetdb-go/fleetdb/index"
)

// each visits the records the branch reaches that pass its filter, until
// fn returns false; it returns false if fn stopped it.
func (b *branch) each(c collection.Collection, fn func(id, rec string) bool) bool {
	visit := fn
	if len(b.filter) > 0 {
		visit = func(id, rec string) bool {
			for _, x := range b.filter {
				if !x.Match(rec) {
					return true
				}
			}
			return fn(id, rec)
		}
	}
	a := &b.access
	switch a.kind {
	case accessScan:
		cont := true
		c.Scan(func(id, rec string) bool {
			cont = visit(id, rec)
			return cont
		})
		return cont
	case accessLookup, accessMultiLookup:
		for _, id := range a.ids {
			if rec, ok := c.Get(id); ok && !visit(id, rec) {
				return false
			}
		}
		return true
	case accessIDRange:
		cont := true
		c.ScanRange(a.from, a.to, a.reverse, func(id, rec string) bool {
			cont = visit(id, rec)
			return cont
		})
		return cont
	case accessIndex:
		cont := true
		scan := func(_, id, rec string) bool {
			cont = visit(id, rec)
			return cont
		}
		if a.groupsAsc {
			a.ix.ScanGroupsReverse(a.from, a.to, scan)
		} else {
			a.ix.Scan(a.from, a.to, a.reverse, scan)
		}
		return cont
	}
	// Union: collect each branch's matches, deduplicated by id, then order
	// them by the order keys (ties by id) or by id.
	seen := map[string]string{}
	for _, br := range a.branches {
		br.each(c, func(id, rec string) bool {
			seen[id] = rec
			return true
		})
	}
	rows := make([]row, 0, len(seen))
	for id, rec := range seen {
		rows = append(rows, row{id: id, rec: rec})
	}
	sortRows(rows, a.order)
	for _, r := range rows {
		if !fn(r.id, r.rec) {
			return false
		}
	}
	return true
}

// row is a record with its sort key.
type row struct {
	id, rec string
	key     string
}

// sortRows sorts rows by the order keys, ties (and no order) by id.
func sortRows(rows []row, order []OrderKey) {
	if len(order) > 0 {
		var buf []byte
		for i := range rows {
			buf = appendSortKey(buf[:0], rows[i].rec, order)
			rows[i].key = string(buf)
		}
	}
	slices.SortFunc(rows, func(a, b row) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
}

func appendSortKey(dst []byte, rec string, order []OrderKey) []byte {
	for _, o := range order {
		start := len(dst)
		dst = index.AppendValue(dst, o.Path.Get(rec))
		if o.Desc {
			index.Complement(dst[start:])
		}
	}
	return dst
}

// run visits the plan's records in result order (before offset, limit,
// only and distinct) until fn returns false.
func (p *Plan) run(fn func(id, rec string) bool) {
	switch {
	case p.sort:
		var rows []row
		p.branch.each(p.c, func(id, rec string) bool {
			rows = append(rows, row{id: id, rec: rec})
			return true
		})
		sortRows(rows, p.find.Order)
		for _, r := range rows {
			if !fn(r.id, r.rec) {
				return
			}
		}
	case p.tieFix:
		// The access path delivers the order keys in order; records that tie
		// on them arrive as a run, which is put in id order.
		var run []row
		var key, buf []byte
		flush := func() bool {
			slices.SortFunc(run, func(a, b row) int { return strings.Compare(a.id, b.id) })
			for _, r := range run {
				if !fn(r.id, r.rec) {
					return false
				}
			}
			run = run[:0]
			return true
		}
		if !p.branch.each(p.c, func(id, rec string) bool {
			buf = appendSortKey(buf[:0], rec, p.find.Order)
			if len(run) > 0 && string(buf) != string(key) && !flush() {
				return false
			}
			key = append(key[:0], buf...)
			run = append(run, row{id: id, rec: rec})
			return true
		}) {
			return
		}
		flush()
	default:
		p.branch.each(p.c, fn)
	}
}

// window applies offset and limit to a stream.
type window struct {
	skip, left int // left < 0: no limit
}

func newWindow(f Find) window { return window{skip: f.Offset, left: f.Limit} }

// take reports whether the next item is inside the window, and whether the
// stream should go on after it.
func (w *window) take() (in, more bool) {
	if w.left == 0 {
		return false, false
	}
	if w.skip > 0 {
		w.skip--
		return false, true
	}
	if w.left > 0 {
		w.left--
	}
	return true, w.left != 0
}

// Select appends the JSON array of the results to out.
func (p *Plan) Select(out []byte) []byte {
	f := &p.find
	w := newWindow(*f)
	if w.left == 0 {
		return append(out, "[]"...)
	}
	if f.Only == nil && !f.Distinct {
		// Whole records: gather them (the stored strings, which the value
		// keeps) and copy them into an output grown once to its exact
		// size, rather than growing it record by record: a select of 100
		// records of ~125 B allocated ~64 KB through 12 doublings.
		var stack [128]string
		recs := stack[:0]
		p.run(func(_, rec string) bool {
			in, more := w.take()
			if in {
				recs = append(recs, rec)
			}
			return more
		})
		return appendRecords(out, recs)
	}
	out = append(out, '[')
	n := 0
	emit := func(v string) {
		if n > 0 {
			out = append(out, ',')
		}
		out = append(out, v...)
		n++
	}
	var buf []byte
	if f.Distinct {
		seen := map[string]bool{}
		p.run(func(_, rec string) bool {
			v := rec
			if f.Only != nil {
				buf = p.project(buf[:0], rec)
				v = string(buf)
			}
			k := index.EncodeJSON(v)
			if seen[k] {
				return true
			}
			seen[k] = true
			in, more := w.take()
			if in {
				emit(v)
			}
			return more
		})
		return append(out, ']')
	}
	p.run(func(_, rec string) bool {
		in, more := w.take()
		if in {
			buf = p.project(buf[:0], rec)
			emit(string(buf))
		}
		return more
	})
	return append(out, ']')
}

// project renders the only option for one record.
func (p *Plan) project(dst []byte, rec string) []byte {
	if p.find.OnlyOne {
		return appendRaw(dst, p.find.Only[0].Get(rec).Raw)
	}
	dst = append(dst, '[')
	for i, path := range p.find.Only {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendRaw(dst, path.Get(rec).Raw)
	}
	return append(dst, ']')
}

func appendRaw(dst []byte, raw string) []byte {
	if raw == "" {
		return append(dst, "null"...)
	}
	return append(dst, raw...)
}

// Count returns the number of results.
func (p *Plan) Count() int {
	f := &p.find
	if f.Where == nil && f.Offset == 0 && f.Limit < 0 {
		return p.c.Len()
	}
	w := newWindow(*f)
	n := 0
	if w.left == 0 {
		return 0
	}
	p.branch.each(p.c, func(_, _ string) bool {
		in, more := w.take()
		if in {
			n++
		}
		return more
	})
	return n
}

// IDs returns the encoded ids of the results in order (update, delete).
func (p *Plan) IDs() []string {
	var ids []string
	w := newWindow(p.find)
	if w.left == 0 {
		return nil
	}
	p.run(func(id, _ string) bool {
		in, more := w.take()
		if in {
			ids = append(ids, id)
		}
		return more
	})
	return ids
}
