package fleetdb

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"

	"github.com/fleetdb-go/fleetdb/collection"
	"github.com/fleetdb-go/fleetdb/internal/jsontext"
	"github.com/fleetdb-go/fleetdb/query"
	"github.com/tidwall/gjson"
)

// WatchOptions are the options of DB.Watch (docs/changefeeds.md).
type WatchOptions struct {
	// Where is a condition as in find-options: a Cond (Eq, Range, ...),
	// its JSON text as a []byte or json.RawMessage, or any Go value that
	// marshals to one, as client.WatchOptions takes; nil (or a value
	// marshaling to null, such as the zero Cond): every record.
	Where any
	// From, when HasFrom, is the position to start after; otherwise the
	// current position.
	From    uint64
	HasFrom bool
	// Initial sends the records matching Where at the start position
	// first (op "initial"), then one "ready" event.
	Initial bool
}

// Watch opens a change feed on coll: the changes of every write after the
// start position (Feed.Position) to the records that match opts.Where
// before or after it, in position order, each sent only once the write is
// durable (or committed, in a cluster). A From older than the history
// kept is refused with "History compacted: oldest position is N", a From
// beyond the current position is a Malformed query. Close the feed when
// done.
func (db *DB) Watch(ctx context.Context, coll string, opts WatchOptions) (*Feed, error) {
	req := []byte(`["watch",` + strconv.Quote(coll))
	// Build the query's JSON and parse it, so that the Go API and the
	// protocol check the options alike.
	req = append(req, `,{"initial":`+strconv.FormatBool(opts.Initial)...)
	where, err := whereJSON(opts.Where)
	if err != nil {
		return nil, &query.Error{Kind: query.KindMalformedQuery, Msg: "Malformed query: watch: where: " + err.Error()}
	}
	if where != nil {
		req = append(append(req, `,"where":`...), where...)
	}
	if opts.HasFrom {
		req = append(append(req, `,"from":`...), strconv.FormatUint(opts.From, 10)...)
	}
	req = append(req, "}]"...)
	q, err := query.Parse(req)
	if err != nil {
		return nil, err
	}
	return db.watch(ctx, q.(query.Watch))
}

// whereJSON is the JSON text of WatchOptions.Where: bytes as they are,
// other values marshaled; nil for none.
func whereJSON(w any) ([]byte, error) {
	switch w := w.(type) {
	case nil:
		return nil, nil
	case []byte:
		return nilIfEmpty(w), nil
	case json.RawMessage:
		return nilIfEmpty(w), nil
	}
	b, err := jsontext.Marshal(w)
	if err != nil || string(b) == "null" {
		return nil, err
	}
	return b, nil
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// watch opens a feed for a parsed watch query.
func (db *DB) watch(ctx context.Context, q query.Watch) (*Feed, error) {
	if db.closed.Load() {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, unavailable("fleetdb: watch not opened", err)
	}
	h := db.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	cur := h.cur.Seq
	p := cur
	if q.HasFrom {
		if q.From > cur {
			return nil, &query.Error{Kind: query.KindMalformedQuery, Msg: "Malformed query: watch: from " + strconv.FormatUint(q.From, 10) + " is beyond the current position " + strconv.FormatUint(cur, 10)}
		}
		if q.From < h.base {
			return nil, &query.Error{Kind: query.KindMalformedQuery, Msg: "History compacted: oldest position is " + strconv.FormatUint(h.base, 10)}
		}
		p = q.From
	}
	f := &Feed{h: h, coll: q.Coll, where: q.Where, start: p, done: p, wake: make(chan struct{}, 1)}
	// The backlog: the history's entries after p.
	i := sort.Search(len(h.hist), func(i int) bool { return h.hist[i].pos > p })
	backlog := h.hist[i:]
	for _, e := range backlog {
		if e.coll == q.Coll {
			f.q = append(f.q, queued{e: e})
		}
	}
	if q.Initial {
		f.init = newInitialIter(h.cur.Collection(q.Coll), backlog, q.Coll, p, q.Where)
	}
	if h.feeds[q.Coll] == nil {
		h.feeds[q.Coll] = map[*Feed]struct{}{}
	}
	h.feeds[q.Coll][f] = struct{}{}
	h.open.Add(1)
	return f, nil
}

// initialIter yields the records of a collection at position p matching
// where, in id order. It reads the collection as it is now and undoes the
// backlog (the changes after p), so it needs no value kept for p.
type initialIter struct {
	base  collection.Collection
	over  map[string]string // id → record at p ("" = absent) where it differs from base
	oids  []string          // sorted keys of over
	oi    int
	last  string // last base id visited
	begun bool
	where query.Cond
	pos   uint64

	pending         bool // pendID/pendRec hold the next base record
	exhausted       bool
	pendID, pendRec string
}

// peekBase returns the next base record without consuming it.
func (it *initialIter) peekBase() (string, string, bool) {
	if !it.pending && !it.exhausted {
		it.pendID, it.pendRec, it.pending = it.nextBase()
		it.exhausted = !it.pending
	}
	return it.pendID, it.pendRec, it.pending
}

func newInitialIter(now collection.Collection, backlog []*entry, coll string, p uint64, where query.Cond) *initialIter {
	it := &initialIter{base: now, over: map[string]string{}, where: where, pos: p}
	for k := len(backlog) - 1; k >= 0; k-- {
		e := backlog[k]
		if e.coll != coll {
			continue
		}
		if e.isDrop() {
			// Before the drop, the collection was exactly e.dropped.
			it.base, it.over = *e.dropped, map[string]string{}
			continue
		}
		for j := e.changes.Len() - 1; j >= 0; j-- {
			ch := e.changes.At(j)
			it.over[ch.ID()] = recordOf(ch.Old) // "" when it had none
		}
	}
	for id := range it.over {
		it.oids = append(it.oids, id)
	}
	sort.Strings(it.oids)
	return it
}

// nextBase returns the next record of base after the last one, skipping
// the overridden ids.
func (it *initialIter) nextBase() (id, rec string, ok bool) {
	from := ""
	if it.begun {
		from = it.last + "\x00"
	}
	for {
		ok = false
		it.base.ScanRange(from, "", false, func(i, r string) bool {
			id, rec, ok = i, r, true
			return false
		})
		if !ok {
			return "", "", false
		}
		it.begun, it.last = true, id
		if _, over := it.over[id]; !over {
			return id, rec, true
		}
		from = id + "\x00"
	}
}

func (it *initialIter) next() (Event, bool) {
	for {
		bid, brec, bok := it.peekBase()
		var oid string
		ook := it.oi < len(it.oids)
		if ook {
			oid = it.oids[it.oi]
		}
		var rec string
		switch {
		case !bok && !ook:
			return Event{}, false
		case bok && (!ook || bid < oid):
			rec = brec
			it.pending = false
		default:
			rec = it.over[oid]
			it.oi++
		}
		if rec == "" || (it.where != nil && !it.where.Match(rec)) {
			continue
		}
		return Event{Position: it.pos, Op: "initial", ID: json.RawMessage(gjson.Get(rec, "id").Raw), New: []byte(rec)}, true
	}
}
