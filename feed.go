package fleetdb

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/fleetdb-go/fleetdb/query"
)

// Event is one line of a change feed (docs/changefeeds.md). Old and New are the JSON
// records, nil for null; ID is nil for "ready" and "drop". The slices are
// shared with the other feeds' events: read them, do not modify them.
type Event struct {
	Position uint64
	Op       string // "initial", "ready", "insert", "update", "delete" or "drop"
	ID       json.RawMessage
	Old, New json.RawMessage
}

// AppendJSON appends the event as the JSON object the protocol sends.
func (e Event) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"position":`...)
	dst = strconv.AppendUint(dst, e.Position, 10)
	dst = append(dst, `,"op":"`...)
	dst = append(dst, e.Op...)
	dst = append(dst, '"')
	switch e.Op {
	case "ready", "drop":
	case "initial":
		dst = append(dst, `,"new":`...)
		dst = append(dst, e.New...)
	default:
		dst = append(dst, `,"id":`...)
		dst = append(dst, e.ID...)
		dst = appendRecord(append(dst, `,"old":`...), e.Old)
		dst = appendRecord(append(dst, `,"new":`...), e.New)
	}
	return append(dst, '}')
}

func appendRecord(dst []byte, rec json.RawMessage) []byte {
	if rec == nil {
		return append(dst, "null"...)
	}
	return append(dst, rec...)
}

// ErrWatchFellBehind matches the error that ends a feed whose consumer
// fell behind (or that could not follow a snapshot installed under it):
// use errors.As with *WatchBehindError for the position to resume from.
var ErrWatchFellBehind = &WatchBehindError{}

// WatchBehindError ends a feed that fell behind: every event up to
// Resume was delivered, so a new feed with From = Resume continues it.
// It is a status-2 failure (matches ErrUnavailable).
type WatchBehindError struct{ Resume uint64 }

func (e *WatchBehindError) Error() string {
	return "Watch fell behind: resume from " + strconv.FormatUint(e.Resume, 10)
}

// Is matches ErrUnavailable and ErrWatchFellBehind.
func (e *WatchBehindError) Is(target error) bool {
	return target == ErrUnavailable || target == ErrWatchFellBehind
}

// ErrFeedClosed is returned by Next after Close.
var ErrFeedClosed = &unavailableError{msg: "fleetdb: feed closed"}

// Feed is an open change feed, made by DB.Watch. Next is called by one
// goroutine at a time; Close may be called from any goroutine.
type Feed struct {
	h     *hub
	coll  string
	where query.Cond
	start uint64 // P

	// mu guards the fields up to wake; the hub's publish pushes under
	// the hub's lock, then mu.
	mu     sync.Mutex
	q      []queued
	queued int64 // bytes of counted entries in q
	err    error // set once: fell behind or closed
	// wake has a token when q or err changed.
	wake chan struct{}

	// sent counts the events returned (metrics; the hub sums the feeds).
	sent atomic.Int64

	// The consumer's state (Next's goroutine only): the entries taken from
	// q (local[li:] not yet started), the entry in progress, and the last
	// position delivered whole. The buffer bound applies to q: the entries
	// taken (at most one buffer's worth) are the consumer's.
	init  *initialIter
	local []queued
	li    int
	cur   *entry
	ci    int
	done  uint64
}

// queued is an entry waiting in a feed; counted entries were pushed after
// the feed opened and count against its buffer (the backlog taken from the
// history at open is held by the history anyway).
type queued struct {
	e       *entry
	counted bool
}

// Position returns P: the feed sends the changes of the writes after it.
func (f *Feed) Position() uint64 { return f.start }

// push queues e, or ends the feed if that passes its buffer. h.mu is held.
func (f *Feed) push(e *entry) {
	f.mu.Lock()
	if f.err == nil {
		f.q = append(f.q, queued{e, true})
		f.queued += e.size
		if f.queued > f.h.maxBuffer {
			f.h.behind.Add(1)
			f.failLocked(nil)
		}
	}
	f.mu.Unlock()
	f.signal()
}

// fail ends the feed with err, or (nil) with a WatchBehindError at the
// last position delivered whole. h.mu is held.
func (f *Feed) fail(err error) {
	f.mu.Lock()
	f.failLocked(err)
	f.mu.Unlock()
	f.signal()
}

func (f *Feed) failLocked(err error) {
	if f.err != nil {
		return
	}
	if err == nil {
		err = &WatchBehindError{} // Next fills in the position
	}
	f.err = err
	f.q, f.queued = nil, 0
	f.h.remove(f)
}

func (f *Feed) signal() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Close ends the feed; a Next waiting returns ErrFeedClosed.
func (f *Feed) Close() error {
	f.h.mu.Lock()
	f.fail(ErrFeedClosed)
	f.h.mu.Unlock()
	return nil
}

// Next returns the feed's next event, waiting for one. It returns
// ErrFeedClosed after Close, a *WatchBehindError when the feed fell
// behind, and ctx's error (wrapped, the feed stays usable) when ctx ends.
// The events of one write are all returned before such an error.
func (f *Feed) Next(ctx context.Context) (Event, error) { return f.next(ctx, true) }

// errNoEvent is next's answer when it must not wait and has no event.
var errNoEvent = errors.New("fleetdb: no event ready")

func (f *Feed) next(ctx context.Context, wait bool) (Event, error) {
	if f.init != nil {
		if ev, ok := f.init.next(); ok {
			return ev, nil
		}
		f.init = nil
		return Event{Position: f.start, Op: "ready"}, nil
	}
	for {
		if f.cur != nil {
			for f.ci < f.cur.changes.Len() {
				f.ci++
				if ev, ok := f.event(f.cur, f.ci-1); ok {
					if f.ci == f.cur.changes.Len() {
						f.finish()
					}
					return ev, nil
				}
			}
			f.finish()
		}
		if f.li < len(f.local) {
			qe := f.local[f.li]
			f.local[f.li] = queued{}
			f.li++
			f.cur, f.ci = qe.e, 0
			if qe.e.isDrop() {
				f.finish()
				f.sent.Add(1)
				return Event{Position: qe.e.pos, Op: "drop"}, nil
			}
			continue
		}
		f.mu.Lock()
		if f.err != nil {
			err := f.err
			if _, ok := err.(*WatchBehindError); ok {
				// Everything up to done went out (the entry being
				// consumed when the feed ended was finished first).
				err = &WatchBehindError{Resume: f.done}
			}
			f.mu.Unlock()
			return Event{}, err
		}
		if len(f.q) > 0 {
			// Take every queued entry at once: one lock per batch of
			// writes, not per entry.
			f.local, f.q = f.q, f.local[:0]
			for _, qe := range f.local {
				if qe.counted {
					f.queued -= qe.e.size
				}
			}
			f.li = 0
			f.mu.Unlock()
			continue
		}
		f.mu.Unlock()
		if !wait {
			return Event{}, errNoEvent
		}
		select {
		case <-f.wake:
		case <-ctx.Done():
			return Event{}, unavailable("fleetdb: feed wait ended", ctx.Err())
		}
	}
}

// finish marks the current entry as delivered whole.
func (f *Feed) finish() {
	f.done = f.cur.pos
	f.cur = nil
}

// event turns a record's change into the event the feed's where sees, if
// any: old if it matched, new if it matches. The event's slices are shared
// with the other feeds: they must not be modified.
func (f *Feed) event(e *entry, i int) (Event, bool) {
	ch := e.changes.At(i)
	mo := ch.Old != "" && (f.where == nil || f.where.Match(recordOf(ch.Old)))
	mn := ch.New != "" && (f.where == nil || f.where.Match(recordOf(ch.New)))
	if !mo && !mn {
		return Event{}, false
	}
	p := &e.eventParts()[i]
	ev := Event{Position: e.pos, ID: p.id}
	switch {
	case ch.Old == "":
		ev.Op = "insert"
	case ch.New == "":
		ev.Op = "delete"
	default:
		ev.Op = "update"
	}
	if mo {
		ev.Old = p.old
	}
	if mn {
		ev.New = p.new
	}
	f.sent.Add(1)
	return ev, true
}

// WatchRequest opens the feed of a ["watch", coll, options] request for a
// protocol server (server.Watcher). next appends the next event's JSON
// object to dst; when wait is false and no event is ready it returns
// (dst, false, nil). stop ends the feed.
func (db *DB) WatchRequest(ctx context.Context, req []byte) (position uint64, next func(ctx context.Context, dst []byte, wait bool) ([]byte, bool, error), stop func(), err error) {
	q, err := query.Parse(req)
	if err != nil {
		return 0, nil, nil, err
	}
	w, ok := q.(query.Watch)
	if !ok {
		return 0, nil, nil, &query.Error{Kind: query.KindMalformedQuery, Msg: "Malformed query: not a watch"}
	}
	f, err := db.watch(ctx, w)
	if err != nil {
		return 0, nil, nil, err
	}
	next = func(ctx context.Context, dst []byte, wait bool) ([]byte, bool, error) {
		ev, err := f.next(ctx, wait)
		if err == errNoEvent {
			return dst, false, nil
		}
		if err != nil {
			return dst, false, err
		}
		return ev.AppendJSON(dst), true, nil
	}
	return f.Position(), next, func() { f.Close() }, nil
}
