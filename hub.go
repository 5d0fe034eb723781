package fleetdb

import (
	"sync"
	"sync/atomic"

	"github.com/fleetdb-go/fleetdb/collection"
	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/index"
	"github.com/tidwall/gjson"
)

// hub keeps the history of committed changes and hands them to the open
// feeds (docs/changefeeds.md).
//
// publish runs on the goroutine that publishes values (the write queue's,
// or the Raft FSM's), after the value is durable/committed and stored for
// readers; it turns the changes each write recorded (dbvalue.Step) into
// history entries, appends them to the history and to the
// queue of every feed on their collection. It never waits for a feed: a
// feed whose unconsumed events pass its bound is ended instead. Watch and
// the feeds' consumers take mu briefly.
type hub struct {
	maxHistory int64
	maxBuffer  int64

	// mu guards everything below.
	mu sync.Mutex
	// cur is the value at the current position (cur.Seq).
	cur *dbvalue.Value
	// base: the history holds every change after this position.
	base uint64
	// hist holds the entries after base, in position order.
	hist      []*entry
	histBytes int64
	feeds     map[string]map[*Feed]struct{}

	// Metrics: open feeds, events sent by the feeds closed (sentTotal adds
	// the open ones), feeds ended for falling behind.
	open, sent, behind atomic.Int64

	// onSteps, when set (tests), sees every published step first.
	onSteps func([]dbvalue.Step)
}

// entry is the change of one write to one collection: a drop, or changed
// records in id order.
type entry struct {
	pos     uint64
	coll    string
	dropped *collection.Collection // a drop's: the collection it removed (nil: changed records)
	changes collection.Changes     // the records' old and new keys, in id order
	size    int64                  // bytes counted against the bounds
	keep    int64                  // more bytes counted against the history only (a drop's collection)

	// parts are the changes' id, old and new as the events carry them,
	// made once (by the first feed that needs them) and shared by all.
	prep  sync.Once
	parts []eventParts
}

// isDrop reports whether e is a drop.
func (e *entry) isDrop() bool { return e.dropped != nil }

type eventParts struct{ id, old, new []byte }

// eventParts returns the shared parts of the events of e.
func (e *entry) eventParts() []eventParts {
	e.prep.Do(func() {
		e.parts = make([]eventParts, e.changes.Len())
		for i := range e.parts {
			ch := e.changes.At(i)
			rec := recordOf(ch.New)
			if ch.Old != "" {
				rec = recordOf(ch.Old)
			}
			p := &e.parts[i]
			p.id = []byte(gjson.Get(rec, "id").Raw)
			if ch.Old != "" {
				p.old = []byte(recordOf(ch.Old))
			}
			if ch.New != "" {
				p.new = []byte(recordOf(ch.New))
			}
		}
	})
	return e.parts
}

// recordOf returns the JSON of the record whose record-map key is key (a
// collection.Change's Old or New), "" for none.
func recordOf(key string) string {
	if key == "" {
		return ""
	}
	return index.RecordOfID(key)
}

const entryOverhead = 64

func newHub(opts Options, v *dbvalue.Value) *hub {
	h := &hub{maxHistory: opts.WatchHistory, maxBuffer: opts.WatchBuffer, feeds: map[string]map[*Feed]struct{}{}}
	if h.maxHistory == 0 {
		h.maxHistory = DefaultWatchHistory
	}
	if h.maxBuffer == 0 {
		h.maxBuffer = DefaultWatchBuffer
	}
	h.cur, h.base = v, v.Seq
	return h
}

// appendEntries appends to dst the history entries of the steps, in
// order, and returns the extended slice: for each
// write and each collection it changed (by name), the drop if it dropped
// it, then its record changes. The record changes of one batch share one
// allocation (a batch of single-record writes allocated one entry per
// write): the history drops entries oldest first, so a trimmed entry's
// records stay alive at most until the rest of its batch leaves. A drop's
// entry, which keeps a whole collection alive, is allocated alone.
func appendEntries(dst []*entry, steps []dbvalue.Step) []*entry {
	n, drops := 0, 0
	for _, s := range steps {
		for _, cc := range s.Colls {
			if cc.Dropped() {
				drops++
			}
			if cc.Changes.Len() > 0 {
				n++
			}
		}
	}
	if n+drops == 0 {
		return dst
	}
	slab := make([]entry, n)
	out := dst
	if cap(out)-len(out) < n+drops { // grown as append would, in one allocation (slices.Grow made two under -race)
		out = make([]*entry, len(dst), max(2*cap(dst), len(dst)+n+drops))
		copy(out, dst)
	}
	for _, s := range steps {
		for _, cc := range s.Colls {
			if cc.Dropped() {
				// The entry keeps the dropped collection alive (for
				// initial records at an earlier position): count it,
				// about 100 bytes a record, so that a large drop leaves
				// the history soon.
				c := cc.DroppedColl
				out = append(out, &entry{pos: s.Seq, coll: cc.Name, dropped: c, size: entryOverhead, keep: 100 * int64(c.Len())})
			}
			if cc.Changes.Len() == 0 {
				continue
			}
			e := &slab[0]
			slab = slab[1:]
			e.pos, e.coll, e.size, e.changes = s.Seq, cc.Name, entryOverhead, cc.Changes
			for i := range cc.Changes.Len() {
				ch := cc.Changes.At(i)
				// Counted as the events carry it: id, old and new JSON.
				e.size += int64(len(ch.Old)+len(ch.New)+len(recordOf(ch.Old))+len(recordOf(ch.New))) + entryOverhead
			}
			out = append(out, e)
		}
	}
	return out
}

// publish records the changes of steps (already durable/committed) and
// makes v the current value. It runs on the publishing goroutine.
func (h *hub) publish(steps []dbvalue.Step, v *dbvalue.Value) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.onSteps != nil && len(steps) > 0 {
		h.onSteps(steps)
	}
	// Made in place at the history's end (a list of their own was one of
	// a single insert's allocations, for nothing).
	old := len(h.hist)
	h.hist = appendEntries(h.hist, steps)
	for _, e := range h.hist[old:] {
		h.histBytes += e.size + e.keep
		for f := range h.feeds[e.coll] {
			f.push(e)
		}
	}
	h.cur = v
	h.trim()
}

// reset makes v the current value without a history of how it came to be
// (a Raft snapshot was installed): the history starts again at v, and the
// open feeds end, since they cannot see what changed.
func (h *hub) reset(v *dbvalue.Value) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cur, h.base = v, v.Seq
	h.hist, h.histBytes = nil, 0
	for _, fs := range h.feeds {
		for f := range fs {
			f.fail(nil)
		}
	}
}

// trim drops the oldest entries (all of one position together) while the
// history is over its bound. h.mu is held.
func (h *hub) trim() {
	i := 0
	for h.histBytes > h.maxHistory && i < len(h.hist) {
		p := h.hist[i].pos
		for i < len(h.hist) && h.hist[i].pos == p {
			h.histBytes -= h.hist[i].size + h.hist[i].keep
			h.hist[i] = nil
			i++
		}
		h.base = p
	}
	if i > 0 {
		h.hist = h.hist[i:]
		if cap(h.hist) > 1024 && len(h.hist) < cap(h.hist)/4 {
			h.hist = append([]*entry(nil), h.hist...)
		}
	}
}

// position returns the current position.
func (h *hub) position() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cur.Seq
}

// remove forgets f. h.mu is held.
func (h *hub) remove(f *Feed) {
	if fs, ok := h.feeds[f.coll]; ok {
		if _, ok := fs[f]; ok {
			delete(fs, f)
			h.sent.Add(f.sent.Load())
			h.open.Add(-1)
			if len(fs) == 0 {
				delete(h.feeds, f.coll)
			}
		}
	}
}

// clusterChanges is the replication node's Changes hook.
func (db *DB) clusterChanges(steps []dbvalue.Step, v *dbvalue.Value, restored bool) {
	if restored {
		db.hub.reset(v)
		return
	}
	db.hub.publish(steps, v)
}

// sentTotal returns the events sent by every feed, open or closed.
func (h *hub) sentTotal() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.sent.Load()
	for _, fs := range h.feeds {
		for f := range fs {
			n += f.sent.Load()
		}
	}
	return n
}
