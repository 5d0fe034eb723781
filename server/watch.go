package server

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fleetdb-go/fleetdb/protocol"
	"github.com/fleetdb-go/fleetdb/query"
	"github.com/prometheus/client_golang/prometheus"
)

// Watcher is an optional interface of an Executor: change feeds (SPEC §9).
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

// Messages of the watch mode (SPEC §9).
const (
	msgWatching    = `Malformed query: the connection is watching; send ["unwatch"] first`
	msgNotWatching = "Malformed query: the connection is not watching"
	msgNoWatch     = "Malformed query: this server does not offer watch"
)

// watchState is a connection's feed. While it runs, a second goroutine
// (send) writes the events; every answer of the connection then goes
// through ww under mu, never through the connection's own writer, which
// stays empty (so the serve loop's flushes write nothing).
type watchState struct {
	c      *conn
	cancel context.CancelFunc
	stop   func()
	done   chan struct{} // closed when send returns

	// mu guards ww and ended.
	mu sync.Mutex
	ww *protocol.Writer
	// ended: the feed ended on its own (fell behind, failed); the
	// connection takes ordinary queries again.
	ended bool
}

// watchWriter writes a feed's lines straight to the connection, with a
// write deadline of WriteTimeout.
type watchWriter struct{ c *conn }

func (w watchWriter) Write(p []byte) (int, error) {
	c := w.c
	if err := c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout)); err != nil {
		return 0, err
	}
	n, err := c.nc.Write(p)
	if n > 0 && c.srv.m != nil {
		c.srv.m.bytesOut.Add(float64(n))
	}
	return n, err
}

// watchLine handles a line that concerns the watch mode: any line while
// watching, and watch/unwatch otherwise. It reports whether it answered the
// line; false means the line is an ordinary query.
func (c *conn) watchLine(line []byte, name int) bool {
	if ws := c.watch; ws != nil {
		ws.mu.Lock()
		if ws.ended {
			ws.mu.Unlock()
			<-ws.done
			c.watch = nil
			return c.watchLine(line, name)
		}
		if name != nameOther || !isQuery(line, "unwatch") {
			ws.ww.WriteError(protocol.StatusRefused, msgWatching)
			ws.ww.Flush()
			ws.mu.Unlock()
			c.srv.m.answered(name, protocol.StatusRefused)
			return true
		}
		ws.mu.Unlock()
		ws.cancel()
		<-ws.done
		ws.mu.Lock()
		ws.ww.WriteResponse(protocol.StatusOK, []byte(`"unwatched"`))
		ws.ww.Flush()
		ws.mu.Unlock()
		c.watch = nil
		c.srv.m.answered(name, protocol.StatusOK)
		return true
	}
	if name != nameOther {
		return false
	}
	q, err := query.Parse(line)
	if err != nil {
		return false // answered by the executor like any malformed query
	}
	switch q := q.(type) {
	case query.Unwatch:
		c.answer(name, protocol.StatusRefused, msgNotWatching)
		return true
	case query.Watch:
		c.startWatch(line, q, name)
		return true
	}
	return false
}

// isQuery reports whether line is the query named name.
func isQuery(line []byte, name string) bool {
	q, err := query.Parse(line)
	return err == nil && q.Name() == name
}

func (c *conn) startWatch(line []byte, q query.Watch, name int) {
	w, ok := c.srv.exec.(Watcher)
	if !ok {
		c.answer(name, protocol.StatusRefused, msgNoWatch)
		return
	}
	ctx, cancel := context.WithCancel(c.ctx)
	pos, next, stop, err := w.WatchRequest(ctx, line)
	if err != nil {
		cancel()
		c.answer(name, statusOf(err), err.Error())
		return
	}
	// The answers of earlier (pipelined) queries go first.
	if err := c.w.Flush(); err != nil {
		cancel()
		stop()
		return
	}
	ws := &watchState{c: c, cancel: cancel, stop: stop, done: make(chan struct{}), ww: protocol.NewWriterSize(watchWriter{c}, writeBufferSize)}
	coll, _ := json.Marshal(q.Coll)
	first := append([]byte(`{"watching":`), coll...)
	first = append(first, `,"position":`...)
	first = strconv.AppendUint(first, pos, 10)
	first = append(first, '}')
	ws.ww.WriteResponse(protocol.StatusOK, first)
	c.srv.m.answered(name, protocol.StatusOK)
	c.watch = ws
	if m := c.srv.m; m != nil {
		m.watchOpen.Inc()
	}
	go ws.send(ctx, next)
}

// send writes the feed's events until the feed ends or is stopped.
//
// The lines of one position go out in one write (when they fit in the
// socket's buffer): they are gathered in out and written when the position
// is complete (an event of a later position arrives, or none is ready,
// since a feed's events of one position are handed out without a wait). So
// a member killed while sending leaves its client with whole positions, and
// resuming elsewhere from the last position received is exact.
func (ws *watchState) send(ctx context.Context, next func(context.Context, []byte, bool) ([]byte, bool, error)) {
	m := ws.c.srv.m
	defer func() {
		ws.stop()
		if m != nil {
			m.watchOpen.Dec()
		}
		close(ws.done)
	}()
	var (
		out      []byte // complete positions not written yet
		cur      []byte // the lines of the position in progress
		curPos   []byte // its "position" value
		ev       []byte
		ok       bool
		err      error
		maxBatch = 1 << 20
	)
	write := func() bool {
		ws.mu.Lock()
		defer ws.mu.Unlock()
		if err := ws.ww.Flush(); err != nil { // answers written by the reader
			return false
		}
		if len(out) == 0 {
			return true
		}
		_, err := watchWriter{ws.c}.Write(out)
		out = out[:0]
		return err == nil
	}
	for {
		ev, ok, err = next(ctx, ev[:0], false)
		if err == nil && !ok {
			// Nothing ready: the position in progress is complete.
			out, cur = append(out, cur...), cur[:0]
			if !write() {
				return
			}
			ev, ok, err = next(ctx, ev[:0], true)
		}
		if err != nil {
			if ctx.Err() != nil {
				return // unwatch, or the connection closed
			}
			out = append(out, cur...)
			if len(out) > 0 && !write() {
				return
			}
			ws.mu.Lock()
			ws.ww.WriteError(statusOf(err), err.Error())
			ws.ww.Flush()
			ws.ended = true
			ws.mu.Unlock()
			if m != nil && strings.HasPrefix(err.Error(), "Watch fell behind") {
				m.watchBehind.Inc()
			}
			return
		}
		if p := positionOf(ev); !bytes.Equal(p, curPos) {
			out, cur = append(out, cur...), cur[:0]
			curPos = append(curPos[:0], p...)
			if len(out) >= maxBatch && !write() {
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

// endWatch stops the connection's feed when the connection closes.
func (c *conn) endWatch() {
	if ws := c.watch; ws != nil {
		ws.cancel()
		<-ws.done
		c.watch = nil
	}
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
