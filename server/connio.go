package server

import (
	"net"
	"time"
)

// readState says where a connection is in its input, which decides the
// read deadline.
type readState uint8

const (
	// stateIdle: no byte of the next request has arrived. Reads wait up to
	// IdleTimeout (or forever).
	stateIdle readState = iota
	// stateStarted: part of the next request has arrived; its deadline is
	// set by the next read that has to wait for more.
	stateStarted
	// stateInLine: the line's deadline (ReadTimeout) is set.
	stateInLine
)

// connReader is the io.Reader under a connection's protocol.Reader. Before
// each read from the network it flushes the answers still buffered (the
// read may block, and the client may be waiting for them) and sets the read
// deadline the connection's state calls for; it counts the bytes received.
// Only the connection's goroutine uses it.
type connReader struct {
	c     *conn
	state readState
	// deadline is the read deadline set on the connection by this reader
	// (zero: none). Shutdown may set another one behind its back; from
	// then on every read sets the drain deadline explicitly.
	deadline time.Time
	// lineDeadline is the deadline of the request line in progress, and
	// idleDeadline the one of the wait for the next request.
	lineDeadline time.Time
	idleDeadline time.Time
	// drainDeadline ends the reading of a connection after Shutdown.
	drainDeadline time.Time
}

func (r *connReader) Read(p []byte) (int, error) {
	c := r.c
	if len(c.out) > 0 {
		if err := c.flush(); err != nil {
			return 0, err
		}
	}
	s := c.srv
	var want time.Time
	switch r.state {
	case stateIdle:
		if idle := s.cfg.IdleTimeout; idle > 0 {
			// Renew the idle deadline only when it has used up an eighth
			// of its length: a busy connection should not pay for a timer
			// update on every request.
			if now := time.Now(); r.idleDeadline.Sub(now) < idle-idle/8 {
				r.idleDeadline = now.Add(idle)
			}
			want = r.idleDeadline
		}
	case stateStarted:
		r.lineDeadline = time.Now().Add(s.cfg.ReadTimeout)
		r.state = stateInLine
		want = r.lineDeadline
	case stateInLine:
		want = r.lineDeadline
	}
	if !want.Equal(r.deadline) {
		if err := c.nc.SetReadDeadline(want); err != nil {
			return 0, err
		}
		r.deadline = want
	}
	// Checked after setting the deadline: if Shutdown's flag is not seen
	// here, Shutdown's own SetReadDeadline (wake) comes after ours and
	// wins. Once shutting down, the connection reads for drainWindow more
	// from its first read after the shutdown began, so that a connection
	// that was busy in a query still gets the requests sent meanwhile (and
	// answers them "shutting down") instead of closing on unread input.
	if s.shutting.Load() {
		if r.drainDeadline.IsZero() {
			r.drainDeadline = time.Now().Add(drainWindow)
		}
		if want.IsZero() || r.drainDeadline.Before(want) {
			if err := c.nc.SetReadDeadline(r.drainDeadline); err != nil {
				return 0, err
			}
			r.deadline = r.drainDeadline
		}
	}
	n, err := c.nc.Read(p)
	if n > 0 {
		if r.state == stateIdle {
			r.state = stateStarted
		}
		if s.m != nil {
			s.m.bytesIn.Add(float64(n))
		}
	}
	return n, err
}

// connWriter is the io.Writer under a connection's protocol.Writer: it
// keeps a write deadline of about WriteTimeout ahead and counts the bytes
// sent. Only the connection's goroutine uses it.
type connWriter struct {
	c        *conn
	deadline time.Time
}

func (w *connWriter) Write(p []byte) (int, error) {
	c := w.c
	timeout := c.srv.cfg.WriteTimeout
	// Renew the deadline when an eighth of it is used up, not on every
	// flush: a flush that makes no progress fails after 7/8 to 8/8 of
	// WriteTimeout.
	if now := time.Now(); w.deadline.Sub(now) < timeout-timeout/8 {
		w.deadline = now.Add(timeout)
		if err := c.nc.SetWriteDeadline(w.deadline); err != nil {
			return 0, err
		}
	}
	n, err := c.nc.Write(p)
	if n > 0 && c.srv.m != nil {
		c.srv.m.bytesOut.Add(float64(n))
	}
	return n, err
}

// timeoutError reports whether err is a deadline expiry.
func timeoutError(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
