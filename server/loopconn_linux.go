//go:build linux

package server

import (
	"sync"
	"syscall"
	"time"

	"github.com/fleetdb-go/fleetdb/protocol"
)

// lconn is a connection served by an event loop. Only the loop's goroutine
// touches its fields, except: the goroutine running its query in flight
// (busy) reads qline and qctx and writes qout and qerr, handing them over
// through loop.complete; and Shutdown calls kill.
type lconn struct {
	session
	l  *loop
	fd int

	split protocol.Splitter
	// in holds input the connection owns: a partial line, or the lines
	// behind a query in flight; in[inOff:] is not yet consumed.
	in    []byte
	inOff int
	// lent: session.out is the loop's buffer, lent for this turn; outOff
	// is how much of out was written.
	lent   bool
	outOff int
	// held: the answers wait in out (a buffer of the connection's own,
	// from loop.spares) for the loop's flush at the end of the turn.
	held bool

	readable bool // an input event not yet used up by a short read
	hangup   bool // the peer shut its side down (or the socket failed)
	eof      bool // the peer closed its side, or the read side failed
	queued   bool // in loop.again
	closed   bool

	// busy: a query runs on a goroutine; the loop does not read or answer
	// the connection until it is done (hasResult).
	busy      bool
	hasResult bool
	qname     int
	qline     []byte
	qstart    time.Time
	qout      []byte
	qerr      error
	// more are the writes that followed the first in the input and went
	// into the loop's batch with it (moreWrites): answered together, in
	// order, after it. answered counts the done calls so far (written by
	// whoever calls done).
	more     []lquery
	answered int
	qoff     int // where qline starts in c.in
	// queryDone is c.done as a func value, built once.
	queryDone func([]byte, error)

	// lingering: closing on the server's initiative (failed auth): the
	// answers are sent, the write side shut, and input dropped until EOF,
	// lingerDeadline or lingerBytes.
	lingering      bool
	shutWrite      bool
	lingerLeft     int
	lingerDeadline time.Time

	lastActive    time.Time // when the last request line ended
	lineDeadline  time.Time // of the partial line in progress
	writeDeadline time.Time // of answers the network did not take
	drainDeadline time.Time // after Shutdown

	// watchState: the connection's change feed (watch_loop_linux.go).
	watchState lconnWatch

	// mu guards fdClosed against kill.
	mu       sync.Mutex
	fdClosed bool
}

// wake is a no-op: Shutdown wakes the loops themselves.
func (c *lconn) wake(time.Time) {}

// kill shuts the connection's socket down, which the loop sees as the end
// of input and closes, and cancels its queries. In that order: a query
// that returns on its canceled ctx must find the socket shut already, or
// the loop may send its answer before the connection is closed.
func (c *lconn) kill() {
	c.mu.Lock()
	if !c.fdClosed {
		syscall.Shutdown(c.fd, syscall.SHUT_RDWR)
	}
	c.mu.Unlock()
	c.cancel()
}

// event records an epoll event and serves the connection.
func (c *lconn) event(ev uint32) {
	if ev&(evIn|evRdHup|evHup|evErr) != 0 {
		c.readable = true
	}
	if ev&(evRdHup|evHup|evErr) != 0 {
		// The end of input has arrived: no event will announce it again,
		// so reads go on until they see it.
		c.hangup = true
	}
	if c.busy || c.queued {
		return
	}
	c.run()
}

// run serves the connection as far as it can without waiting: sends the
// answers still unsent, answers the input it holds, reads and answers more,
// and finally sends what it built. It leaves the connection waiting for an
// event, busy, queued for another turn, or closed.
func (c *lconn) run() {
	l := c.l
	if c.closed {
		return
	}
	if len(c.out) == 0 {
		c.out, c.lent = l.out[:0], true
	}
	if c.hasResult && c.watchState.end != nil {
		c.hasResult = false
		c.finishWatch()
	}
	if c.hasResult {
		c.hasResult = false
		c.finish(c.qname, c.qout, c.qerr, c.qstart)
		c.qline, c.qout, c.qerr = nil, nil, nil
		c.finishMore()
		c.lastActive = l.now
		if c.srv.shutting.Load() && c.drainDeadline.IsZero() {
			c.drainDeadline = l.now.Add(drainWindow)
		}
	}
	for reads := 0; !c.closed; {
		if !c.sendBehind() || c.busy || c.closed {
			break
		}
		if c.watchState.next != nil {
			c.startWatch()
			continue
		}
		if c.lingering {
			c.linger()
			break
		}
		if c.inOff < len(c.in) && c.feed(c.in[c.inOff:], true) {
			continue // stopped early: busy, closing, or answers to send
		}
		if c.eof {
			c.atEOF()
			continue
		}
		if !c.readable {
			break
		}
		if reads == loopMaxReads {
			c.queued = true
			l.again = append(l.again, c)
			break
		}
		reads++
		c.read()
	}
	if !c.closed {
		c.hold()
	}
	c.endTurn()
}

// hold leaves the answers built in this turn for the loop's flush at the
// end of the turn (loop.flush), unless the socket is already behind or
// they are many (then they go at once, as far as it takes them).
func (c *lconn) hold() {
	if len(c.out) == c.outOff {
		return
	}
	if !c.writeDeadline.IsZero() || len(c.out)-c.outOff >= loopFlushBytes {
		c.send()
		return
	}
	if !c.held {
		c.held = true
		c.l.held = append(c.l.held, c)
	}
}

// endTurn gives the lent answer buffer back, keeping any unsent answers
// in a buffer of the connection's own, and schedules its deadline.
func (c *lconn) endTurn() {
	l := c.l
	if c.lent {
		rest := c.out[c.outOff:]
		var own []byte
		if len(rest) > 0 && !c.closed {
			own = append(l.spareBuf(), rest...)
		}
		if cap(c.out) <= retainOutBytes {
			l.out = c.out[:0]
		}
		c.out, c.outOff, c.lent = own, 0, false
	}
	if c.closed {
		return
	}
	if c.inOff < len(c.in) || c.split.InLine() {
		if c.lineDeadline.IsZero() && !c.readable {
			c.lineDeadline = l.now.Add(c.srv.cfg.ReadTimeout)
		}
	} else {
		c.lineDeadline = time.Time{}
		if c.inOff > 0 {
			c.in, c.inOff = c.in[:0], 0
		}
		if cap(c.in) > retainOutBytes {
			c.in = nil
		}
	}
	l.schedule(c.deadline())
}

// deadline is when the connection must be closed if nothing happens
// (zero: never).
func (c *lconn) deadline() time.Time {
	var d time.Time
	cfg := &c.srv.cfg
	switch {
	case c.lingering:
		d = c.lingerDeadline
	case c.busy:
	case len(c.out) > c.outOff:
		d = c.writeDeadline
	case c.inOff < len(c.in) || c.split.InLine():
		d = c.lineDeadline
	case cfg.IdleTimeout > 0:
		d = c.lastActive.Add(cfg.IdleTimeout)
	}
	if !c.drainDeadline.IsZero() && !c.busy && (d.IsZero() || c.drainDeadline.Before(d)) {
		d = c.drainDeadline
	}
	return d
}

// expire closes a connection whose deadline passed, saying why.
func (c *lconn) expire() {
	s := c.srv
	switch {
	case c.lingering:
	case !c.drainDeadline.IsZero() && !c.l.now.Before(c.drainDeadline):
		s.log.Debug("server: connection closed: shutting down", "remote", c.remote)
	case len(c.out) > c.outOff:
		s.log.Debug("server: write failed", "remote", c.remote, "err", "write timeout")
	case c.inOff < len(c.in) || c.split.InLine():
		if s.m != nil {
			s.m.readTimeout.Inc()
		}
		s.log.Info("server: connection closed: request line not completed in time", "remote", c.remote, "timeout", s.cfg.ReadTimeout)
	default:
		if s.m != nil {
			s.m.idleTimeout.Inc()
		}
		s.log.Debug("server: connection closed: idle", "remote", c.remote, "timeout", s.cfg.IdleTimeout)
	}
	c.close()
}

// read reads once: into the loop's buffer when the connection holds no
// input, else after the partial line it holds. A read that does not fill
// the space offered drained the socket: the next input brings a new event.
func (c *lconn) read() {
	owned := c.inOff < len(c.in)
	var space []byte
	if owned {
		if c.inOff > 0 {
			n := copy(c.in, c.in[c.inOff:])
			c.in, c.inOff = c.in[:n], 0
		}
		if cap(c.in)-len(c.in) < 4096 {
			grown := make([]byte, len(c.in), max(2*cap(c.in), len(c.in)+16<<10))
			copy(grown, c.in)
			c.in = grown
		}
		space = c.in[len(c.in):cap(c.in)]
	} else {
		space = c.l.buf
	}
	n, err := syscall.Read(c.fd, space)
	for err == syscall.EINTR {
		n, err = syscall.Read(c.fd, space)
	}
	switch {
	case err == syscall.EAGAIN:
		c.readable = false
		return
	case err != nil:
		// As on the goroutine path, a partial line is lost.
		c.srv.log.Debug("server: read failed", "remote", c.remote, "err", err)
		c.close()
		return
	case n == 0:
		c.srv.log.Debug("server: connection closed", "remote", c.remote)
		c.readable, c.eof = false, true
		return
	}
	if m := c.srv.m; m != nil {
		m.bytesIn.Add(float64(n))
	}
	if n < len(space) && !c.hangup {
		c.readable = false
	}
	if owned {
		c.in = c.in[:len(c.in)+n]
		c.feed(c.in, true)
		return
	}
	c.feed(space[:n], false)
}

// feed answers the complete lines of buf, which is c.in[c.inOff:] when
// owned, else the loop's buffer (whose unconsumed rest is then copied into
// c.in). It reports whether it stopped before the end of the complete lines:
// a query went to a goroutine, the connection must close, or the network
// does not take the answers. A partial line at the end is kept.
func (c *lconn) feed(buf []byte, owned bool) (stopped bool) {
	pos := 0
	var handoff bool
	var hstart int // where the lines handed off start
	offerAt := 0   // the next position batchReads may be offered
	for pos < len(buf) && !stopped {
		if pos >= offerAt {
			used, seen := c.batchReads(buf[pos:])
			offerAt = pos + seen
			if used > 0 {
				pos += used
				c.lineDeadline = time.Time{}
				c.lastActive = c.l.now
				if len(c.out)-c.outOff >= loopFlushBytes && !c.send() {
					stopped = true
				}
				continue
			}
		}
		line, n, tooLarge, ok := c.split.Next(buf[pos:])
		if !ok {
			pos += n
			break
		}
		lineStart := pos
		pos += n
		c.lineDeadline = time.Time{}
		c.lastActive = c.l.now
		var closeConn bool
		switch {
		case tooLarge:
			closeConn = c.tooLarge()
		case blank(line):
		default:
			name, act := c.prepare(line)
			switch act {
			case actClose:
				closeConn = true
			case actQuery:
				if name == nameWatch || name == nameUnwatch {
					stopped = c.feedWatch(line, name)
				} else if c.runInline(name, line) {
					c.l.counted(false)
				} else {
					c.qname = name
					c.qline = line
					// The lines stay in c.in while they run.
					hstart = lineStart
					pos = lineStart + c.moreWrites(buf, lineStart, pos, name)
					handoff, stopped = true, true
				}
			}
		}
		if closeConn {
			c.startLinger()
			return true
		}
		if !stopped && len(c.out)-c.outOff >= loopFlushBytes && !c.send() {
			stopped = true
		}
	}
	// Keep what is left: the lines in flight are the first extent bytes.
	var extent int
	if handoff {
		extent, pos = pos-hstart, hstart
	}
	if owned {
		c.inOff += pos
	} else if pos < len(buf) {
		c.in = append(c.in[:0], buf[pos:]...)
		c.inOff = 0
	}
	if handoff {
		// The queries' lines are now at c.in[c.inOff:], where they stay
		// while the connection is busy.
		c.qoff = c.inOff
		c.qline = c.in[c.inOff : c.inOff+len(c.qline)]
		for i := range c.more {
			m := &c.more[i]
			m.line = c.in[c.inOff+m.off : c.inOff+m.off+m.n]
		}
		c.inOff += extent
		c.startQuery()
	}
	return stopped
}

// startQuery adds c.qline to the loop's batch (BatchExecutor), starts it
// through the AsyncExecutor, or runs it through Query on a goroutine of its
// own.
func (c *lconn) startQuery() {
	c.busy = true
	c.answered = 0
	if c.srv.m != nil {
		c.qstart = time.Now()
	}
	if c.queryDone == nil {
		c.queryDone = c.done
	}
	l := c.l
	if l.batch != nil && l.batch.Add(c.qctx, c.qline, c.queryDone) {
		l.batched++
		l.counted(false)
		c.addMore()
		return
	}
	c.putBackMore(0)
	l.counted(true)
	if a := c.srv.async; a != nil && a.StartQuery(c.qctx, c.qline, c.queryDone) {
		return
	}
	go c.work()
}

// done is the Executor's callback for each query in flight, called in
// their order: the last one hands the answers to the loop.
func (c *lconn) done(out []byte, err error) {
	if i := c.answered; i == 0 {
		c.qout, c.qerr = out, err
	} else {
		c.more[i-1].out, c.more[i-1].err = out, err
	}
	c.answered++
	if c.answered == 1+len(c.more) {
		c.l.complete(c)
	}
}

// work is the goroutine of a query in flight.
func (c *lconn) work() {
	c.qout, c.qerr = c.srv.exec.Query(c.qctx, c.qline)
	c.l.complete(c)
}

// send writes the answers not yet sent. It reports whether all are sent;
// if not, the connection waits for the socket to take more (an EPOLLOUT
// event), or has been closed after a write error.
func (c *lconn) send() bool {
	if c.closed {
		return false
	}
	for c.outOff < len(c.out) {
		n, err := syscall.Write(c.fd, c.out[c.outOff:])
		if n > 0 {
			c.outOff += n
			if m := c.srv.m; m != nil {
				m.bytesOut.Add(float64(n))
			}
			c.writeDeadline = time.Time{}
		}
		switch {
		case err == syscall.EINTR:
		case err == syscall.EAGAIN:
			if c.writeDeadline.IsZero() {
				c.writeDeadline = time.Now().Add(c.srv.cfg.WriteTimeout)
			}
			return false
		case err != nil:
			c.srv.log.Debug("server: write failed", "remote", c.remote, "err", err)
			c.close()
			return false
		}
	}
	c.out, c.outOff = c.out[:0], 0
	return true
}

// sendBehind is send inside a turn: the answers built so far wait for the
// end of the turn (hold), unless the socket did not take earlier ones,
// they are many, the connection is closing, or a watch starts (its
// goroutine writes after them). It reports whether reading may go on.
func (c *lconn) sendBehind() bool {
	if c.closed {
		return false
	}
	if c.writeDeadline.IsZero() && len(c.out)-c.outOff < loopFlushBytes && !c.lingering && !c.eof &&
		c.watchState.next == nil {
		return true
	}
	return c.send()
}
