package server

import (
	"context"
	"errors"
	"io"
	"net"
	"time"

	"github.com/fleetdb-go/fleetdb/protocol"
	"github.com/fleetdb-go/fleetdb/query"
)

// Closing on the server's initiative (failed authentication): after the
// answer the server half-closes and reads and drops what the client still
// sends, for at most this long or this many bytes, so that closing with
// unread input does not reset the connection and destroy the answer before
// the client reads it.
const (
	lingerTimeout = 500 * time.Millisecond
	lingerBytes   = 1 << 20
)

// conn is one client connection, served by one goroutine (serve). The
// other goroutines that touch it are Shutdown's, through wake and kill,
// which only set the read deadline, close the net.Conn (both safe
// concurrently with its I/O) and cancel ctx.
type conn struct {
	srv *Server
	nc  net.Conn
	// ctx is the connection's context; kill cancels it.
	ctx    context.Context
	cancel context.CancelFunc
	// qctx is given to every query of the connection: ctx, or ctx with the
	// read consistency the connection set with ["set-read-consistency",
	// level] (built once per setting, so a query costs no allocation).
	qctx context.Context

	rd   connReader
	wr   connWriter
	bufs *connBufs
	r    *protocol.Reader // bufs.r, reading through rd
	w    *protocol.Writer // bufs.w, writing through wr

	// watch is the connection's change feed while it watches (watch.go).
	watch *watchState

	// authed is false until a connection to a server with a password has
	// sent the right ["auth", password].
	authed bool
}

// connBufs are a connection's buffered reader and writer, recycled through
// the server's pool.
type connBufs struct {
	r *protocol.Reader
	w *protocol.Writer
}

func (s *Server) newConn(nc net.Conn) *conn {
	c := &conn{srv: s, nc: nc, authed: !s.hasPassword}
	c.rd.c = c
	c.wr.c = c
	if b, ok := s.pool.Get().(*connBufs); ok {
		b.r.Reset(&c.rd)
		b.w.Reset(&c.wr)
		c.bufs = b
	} else {
		c.bufs = &connBufs{
			r: protocol.NewReader(&c.rd, protocol.ReaderOptions{BufferSize: readBufferSize, MaxLineBytes: s.cfg.MaxRequestBytes}),
			w: protocol.NewWriterSize(&c.wr, writeBufferSize),
		}
	}
	c.r, c.w = c.bufs.r, c.bufs.w
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.qctx = c.ctx
	return c
}

// release gives the buffers back to the pool. The connection must not be
// used afterwards.
func (c *conn) release() {
	c.bufs.r.Reset(nil)
	c.bufs.w.Reset(nil)
	c.srv.pool.Put(c.bufs)
	c.bufs, c.r, c.w = nil, nil, nil
	c.cancel()
}

// wake makes a read waiting for input return at t (Shutdown's drain).
func (c *conn) wake(t time.Time) { c.nc.SetReadDeadline(t) }

// kill closes the connection by force and cancels its queries.
func (c *conn) kill() {
	c.cancel()
	c.nc.Close()
}

// serve is the connection's goroutine: read a line, answer it, repeat. The
// answers are buffered and flushed when no more input is buffered (and, by
// connReader, before any read that might block), so that a pipelined burst
// is answered with few writes.
func (c *conn) serve() {
	defer c.finish()
	for {
		line, err := c.r.ReadLine()
		if err != nil && !errors.Is(err, protocol.ErrTooLarge) {
			c.readFailed(err)
			c.w.Flush()
			return
		}
		if c.r.Buffered() == 0 {
			c.rd.state = stateIdle
		} else {
			c.rd.state = stateStarted
		}
		var closeConn bool
		switch {
		case err != nil:
			closeConn = c.tooLarge()
		case blank(line):
		default:
			closeConn = c.handle(line)
		}
		if closeConn {
			c.closeGracefully()
			return
		}
		if c.r.Buffered() == 0 {
			if err := c.w.Flush(); err != nil {
				c.srv.log.Debug("server: write failed", "remote", c.nc.RemoteAddr(), "err", err)
				return
			}
		}
	}
}

// finish closes the connection and forgets it.
func (c *conn) finish() {
	c.nc.Close()
	c.endWatch()
	c.srv.forget(c)
	c.release()
	c.srv.wg.Done()
}

// handle answers one request line. It reports whether the connection must
// be closed after the answer (failed authentication).
func (c *conn) handle(line []byte) (closeConn bool) {
	s := c.srv
	name := queryIndex(line)
	if c.watch != nil && c.watchLine(line, name) {
		return false
	}
	switch {
	case s.shutting.Load():
		c.answer(name, protocol.StatusFailed, protocol.MsgShuttingDown)
		return false
	case !c.authed:
		return c.authenticate(line, name)
	case name == nameAuth:
		// No password, or already authenticated.
		if _, err := parseAuth(line); err != nil {
			c.answer(name, statusOf(err), err.Error())
		} else {
			c.answer(name, protocol.StatusOK, protocol.AuthUnneeded)
		}
		return false
	case name == nameSetReadConsistency:
		c.setReadConsistency(line)
		return false
	case name == nameOther && c.watchLine(line, name):
		return false
	}

	var start time.Time
	if s.m != nil {
		start = time.Now()
	}
	out, err := s.exec.Query(c.qctx, line)
	if s.m != nil {
		s.m.latency[name].Observe(time.Since(start).Seconds())
	}
	if err != nil {
		c.answer(name, statusOf(err), err.Error())
		return false
	}
	if err := c.w.WriteResponse(protocol.StatusOK, out); errors.Is(err, protocol.ErrInvalidValue) {
		s.log.Error("server: the executor returned a value that cannot be sent (empty or spanning lines)", "query", queryNames[name], "bytes", len(out))
		c.answer(name, protocol.StatusFailed, "server: the executor returned an invalid result")
		return false
	}
	// Other write errors are sticky in the Writer and end the connection
	// at the next flush.
	s.m.answered(name, protocol.StatusOK)
	return false
}

// authenticate handles the first query on a server with a password.
func (c *conn) authenticate(line []byte, name int) (closeConn bool) {
	s := c.srv
	if name != nameAuth {
		c.answer(name, protocol.StatusRefused, protocol.MsgAuthNeeded)
		if s.m != nil {
			s.m.authNeeded.Inc()
		}
		s.log.Info("server: connection closed: first query was not auth", "remote", c.nc.RemoteAddr())
		return true
	}
	pw, err := parseAuth(line)
	var qe *query.Error
	if errors.As(err, &qe) && qe.Kind == query.KindMalformedJSON {
		// Not a query at all, so not an auth attempt either.
		return c.authenticate(nil, nameOther)
	}
	if err == nil && s.checkPassword(pw) {
		c.authed = true
		c.answer(name, protocol.StatusOK, protocol.AuthAccepted)
		return false
	}
	c.answer(name, protocol.StatusRefused, protocol.MsgAuthRejected)
	if s.m != nil {
		s.m.authRejected.Inc()
	}
	s.log.Warn("server: connection closed: auth rejected", "remote", c.nc.RemoteAddr())
	return true
}

// tooLarge answers a line longer than MaxRequestBytes (already skipped by
// the reader). Before authentication it counts as a first query that is not
// auth.
func (c *conn) tooLarge() (closeConn bool) {
	s := c.srv
	if s.m != nil {
		s.m.tooLarge.Inc()
	}
	if !c.authed {
		return c.authenticate(nil, nameOther)
	}
	c.answer(nameOther, protocol.StatusRefused, protocol.RequestTooLargeMessage(s.cfg.MaxRequestBytes))
	return false
}

// answer buffers [status, msg] (msg as a JSON string) and counts it.
func (c *conn) answer(name int, status protocol.Status, msg string) {
	c.w.WriteError(status, msg)
	c.srv.m.answered(name, status)
}

// readFailed logs (and counts) why the connection stops reading.
func (c *conn) readFailed(err error) {
	s := c.srv
	switch {
	case err == io.EOF, errors.Is(err, net.ErrClosed):
		s.log.Debug("server: connection closed", "remote", c.nc.RemoteAddr())
	case timeoutError(err) && s.shutting.Load():
		s.log.Debug("server: connection closed: shutting down", "remote", c.nc.RemoteAddr())
	case timeoutError(err) && c.rd.state == stateInLine:
		if s.m != nil {
			s.m.readTimeout.Inc()
		}
		s.log.Info("server: connection closed: request line not completed in time", "remote", c.nc.RemoteAddr(), "timeout", s.cfg.ReadTimeout)
	case timeoutError(err):
		if s.m != nil {
			s.m.idleTimeout.Inc()
		}
		s.log.Debug("server: connection closed: idle", "remote", c.nc.RemoteAddr(), "timeout", s.cfg.IdleTimeout)
	default:
		s.log.Debug("server: read failed", "remote", c.nc.RemoteAddr(), "err", err)
	}
}

// closeGracefully sends the buffered answers, half-closes the connection
// and drains what the client still sends for a moment (see lingerTimeout);
// finish then closes it.
func (c *conn) closeGracefully() {
	if c.w.Flush() != nil {
		return
	}
	cw, ok := c.nc.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	c.nc.SetReadDeadline(time.Now().Add(lingerTimeout))
	io.CopyN(io.Discard, c.nc, lingerBytes)
}
