package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fleetdb-go/fleetdb/protocol"
	"github.com/fleetdb-go/fleetdb/query"
	"github.com/prometheus/client_golang/prometheus"
)

// Watcher is an optional interface of an Executor: change feeds (docs/changefeeds.md).
//
// WatchRequest opens the feed of a ["watch", coll, options] request (req
// as received). It returns the feed's start position; next, which appends
// the next event's JSON object to dst (waiting for one when wait is true,
// else reporting ok false when none is ready; an error ends the feed and is
// answered like a query's error); and stop, which ends the feed (next then
// returns an error). An error from WatchRequest itself is answered like a
// query's error and the connection stays as it was.
type Watcher interface {
	WatchRequest(ctx context.Context, req []byte) (position uint64, next func(ctx context.Context, dst []byte, wait bool) ([]byte, bool, error), stop func(), err error)
}

// The watch queries, which the connection answers itself.
var (
	nameWatch   = query.NameIndex("watch")
	nameUnwatch = query.NameIndex("unwatch")
)

// Messages of the watch mode (docs/changefeeds.md).
const (
	msgWatching    = `Malformed query: the connection is watching; send ["unwatch"] first`
	msgNotWatching = "Malformed query: the connection is not watching"
	msgNoWatch     = "Malformed query: this server does not offer watch"
)

// watchOpen is a feed opened for a connection, not yet running.
type watchOpen struct {
	first []byte // the first answer line, [0,{"watching":...}]
	next  func(context.Context, []byte, bool) ([]byte, bool, error)
	stop  func()
	ctx   context.Context
	end   context.CancelFunc
}

// openWatch handles a line named watch or unwatch outside the watch mode:
// an unwatch is refused, a watch opens its feed. It returns the feed, or
// nil after appending the refusal to se.out.
func (se *session) openWatch(line []byte, name int) *watchOpen {
	if name == nameUnwatch {
		if q, err := query.Parse(line); err != nil || q.Name() != "unwatch" {
			return se.refuseWatch(line, name)
		}
		se.answer(name, protocol.StatusRefused, msgNotWatching)
		return nil
	}
	q, err := query.Parse(line)
	w, ok := q.(query.Watch)
	if err != nil || !ok {
		return se.refuseWatch(line, name)
	}
	watcher, ok := se.srv.exec.(Watcher)
	if !ok {
		se.answer(name, protocol.StatusRefused, msgNoWatch)
		return nil
	}
	ctx, cancel := context.WithCancel(se.ctx)
	pos, next, stop, err := watcher.WatchRequest(ctx, line)
	if err != nil {
		cancel()
		se.answer(name, statusOf(err), err.Error())
		return nil
	}
	coll, _ := json.Marshal(w.Coll)
	first := append([]byte(`[0,{"watching":`), coll...)
	first = append(first, `,"position":`...)
	first = strconv.AppendUint(first, pos, 10)
	first = append(first, "}]\r\n"...)
	se.srv.m.answered(name, protocol.StatusOK)
	return &watchOpen{first: first, next: next, stop: stop, ctx: ctx, end: cancel}
}

// refuseWatch answers a malformed watch or unwatch as the parser does.
func (se *session) refuseWatch(line []byte, name int) *watchOpen {
	_, err := query.Parse(line)
	if err == nil {
		err = &query.Error{Kind: query.KindMalformedQuery, Msg: "Malformed query: not a watch"}
	}
	se.answer(name, statusOf(err), err.Error())
	return nil
}

// watchEnd is how the watch mode of a connection ended.
type watchEnd struct {
	rest   []byte // input read and not consumed: the lines after the end
	answer []byte // the line that ends the watch: unwatched, or the feed's error
	status protocol.Status
	closed bool // the connection is gone (or the server shuts down)
}

// runWatch serves a connection in watch mode on nc until the client sends
// ["unwatch"], the feed ends (fell behind) or the connection closes. The
// caller has sent every earlier answer; pending is the input it already
// read after the watch line. A second goroutine writes the events while
// this one reads the client's lines and refuses them; both write to nc
// under one lock. The lines of one position go out in one write once the
// position is complete (an event of a later position arrives, or none is
// ready: a feed hands out one position's events without waiting), so a
// member killed while sending leaves its client with whole positions.
func (s *Server) runWatch(nc net.Conn, w *watchOpen, pending []byte) watchEnd {
	r := &watchRun{srv: s, nc: nc, w: w, done: make(chan struct{})}
	if m := s.m; m != nil {
		m.watchOpen.Inc()
		defer m.watchOpen.Dec()
	}
	if !r.write(w.first) {
		w.end()
		w.stop()
		return watchEnd{closed: true}
	}
	go r.send()
	return r.read(pending)
}

type watchRun struct {
	srv  *Server
	nc   net.Conn
	w    *watchOpen
	done chan struct{} // closed when send returns

	// mu serializes the writes to nc and guards ended and endErr.
	mu     sync.Mutex
	ended  bool  // the feed ended by itself
	endErr error // why
}

func (r *watchRun) write(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	r.nc.SetWriteDeadline(time.Now().Add(r.srv.cfg.WriteTimeout))
	n, err := r.nc.Write(b)
	if m := r.srv.m; m != nil && n > 0 {
		m.bytesOut.Add(float64(n))
	}
	return err == nil
}

func (r *watchRun) lockedWrite(b []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.write(b)
}

// read reads the client's lines until the watch ends.
func (r *watchRun) read(pending []byte) watchEnd {
	pr := bytes.NewReader(pending)
	br := bufio.NewReaderSize(io.MultiReader(pr, r.nc), 16<<10)
	var partial []byte
	rest := func() []byte {
		b, _ := br.Peek(br.Buffered())
		out := append(append([]byte(nil), partial...), b...)
		tail, _ := io.ReadAll(pr)
		return append(out, tail...)
	}
	stopFeed := func() {
		r.w.end()
		<-r.done
	}
	for {
		frag, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			partial = append(partial, frag...)
			if len(partial) > r.srv.cfg.MaxRequestBytes {
				partial = partial[:0] // dropped: refused below at its end
			}
			continue
		}
		if err != nil {
			partial = append(partial, frag...)
			r.mu.Lock()
			ended, endErr := r.ended, r.endErr
			r.mu.Unlock()
			if ended && endErr != errWatchConn && timeoutError(err) {
				<-r.done
				r.nc.SetReadDeadline(time.Time{})
				ans, _ := protocol.AppendError(nil, statusOf(endErr), endErr.Error())
				return watchEnd{rest: rest(), answer: ans, status: statusOf(endErr)}
			}
			stopFeed()
			return watchEnd{closed: true}
		}
		line := frag
		if len(partial) > 0 {
			line = append(partial, frag...)
			partial = partial[:0]
		}
		line = bytes.TrimRight(line, "\r\n")
		if blank(line) {
			continue
		}
		name := queryIndex(line)
		if name == nameUnwatch {
			if q, perr := query.Parse(line); perr == nil && q.Name() == "unwatch" {
				stopFeed()
				r.srv.m.answered(name, protocol.StatusOK)
				return watchEnd{rest: rest(), answer: []byte("[0,\"unwatched\"]\r\n"), status: protocol.StatusOK}
			}
		}
		ans, _ := protocol.AppendError(nil, protocol.StatusRefused, msgWatching)
		r.srv.m.answered(name, protocol.StatusRefused)
		if !r.lockedWrite(ans) {
			stopFeed()
			return watchEnd{closed: true}
		}
	}
}

// send writes the feed's events until the feed ends or is stopped.
func (r *watchRun) send() {
	m := r.srv.m
	defer func() {
		r.w.stop()
		close(r.done)
	}()
	var (
		out    []byte // complete positions not written yet
		cur    []byte // the lines of the position in progress
		curPos []byte
		ev     []byte
		ok     bool
		err    error
	)
	const maxBatch = 1 << 20
	flush := func() bool {
		ok := r.lockedWrite(out)
		out = out[:0]
		return ok
	}
	for {
		ev, ok, err = r.w.next(r.w.ctx, ev[:0], false)
		if err == nil && !ok {
			// Nothing ready: the position in progress is complete.
			out, cur = append(out, cur...), cur[:0]
			if !flush() {
				r.end(nil)
				return
			}
			ev, ok, err = r.w.next(r.w.ctx, ev[:0], true)
		}
		if err != nil {
			if r.w.ctx.Err() != nil {
				return // unwatch, or the connection closed
			}
			out = append(out, cur...)
			flush()
			if m != nil && strings.HasPrefix(err.Error(), "Watch fell behind") {
				m.watchBehind.Inc()
			}
			r.end(err)
			return
		}
		if p := positionOf(ev); !bytes.Equal(p, curPos) {
			out, cur = append(out, cur...), cur[:0]
			curPos = append(curPos[:0], p...)
			if len(out) >= maxBatch && !flush() {
				r.end(nil)
				return
			}
		}
		cur = append(cur, "[0,"...)
		cur = append(cur, ev...)
		cur = append(cur, "]\r\n"...)
		if m != nil {
			m.watchEvents.Inc()
		}
	}
}

// errWatchConn ends a feed whose connection failed.
var errWatchConn = errors.New("server: the feed's connection failed")

// end records that the feed ended (err nil: the connection failed) and
// wakes the reader.
func (r *watchRun) end(err error) {
	if err == nil {
		err = errWatchConn
	}
	r.mu.Lock()
	r.ended, r.endErr = true, err
	r.mu.Unlock()
	r.nc.SetReadDeadline(time.Now())
}

// positionOf returns the position digits of an event object, which starts
// {"position":N,...}.
func positionOf(ev []byte) []byte {
	const head = `{"position":`
	if !bytes.HasPrefix(ev, []byte(head)) {
		return nil
	}
	ev = ev[len(head):]
	i := bytes.IndexByte(ev, ',')
	if i < 0 {
		return nil
	}
	return ev[:i]
}

// watchMetrics are the change feed metrics of a server.
type watchMetrics struct {
	watchOpen   prometheus.Gauge
	watchEvents prometheus.Counter
	watchBehind prometheus.Counter
}

func newWatchMetrics(reg *prometheus.Registry) watchMetrics {
	w := watchMetrics{
		watchOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "fleetdb_server_watch_feeds",
			Help: "Change feeds open (connections watching).",
		}),
		watchEvents: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fleetdb_server_watch_events_total",
			Help: "Change feed events sent (initial, ready, insert, update, delete, drop).",
		}),
		watchBehind: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fleetdb_server_watch_behind_total",
			Help: "Change feeds ended because their reader fell behind (Watch fell behind).",
		}),
	}
	reg.MustRegister(w.watchOpen, w.watchEvents, w.watchBehind)
	return w
}
