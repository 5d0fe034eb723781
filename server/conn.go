package server

import (
	"errors"
	"io"
	"net"
	"time"

	"github.com/fleetdb-go/fleetdb/protocol"
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

// conn is one client connection served by a goroutine of its own (serve):
// the way of serving a connection that is not plain TCP on Linux (a TLS
// listener's, for one) or when the event loop is off. The other goroutines
// that touch it are Shutdown's, through wake and kill, which only set the
// read deadline, close the net.Conn (both safe concurrently with its I/O)
// and cancel ctx.
type conn struct {
	session
	nc net.Conn

	rd   connReader
	wr   connWriter
	bufs *connBufs
	r    *protocol.Reader // bufs.r, reading through rd
	// werr is the first write error: later flushes return it.
	werr error
}

// connBufs are a connection's buffered reader and answer buffer, recycled
// through the server's pool.
type connBufs struct {
	r   *protocol.Reader
	out []byte
}

// retainOutBytes bounds the answer buffer a connection keeps between
// flushes: one huge answer does not pin its memory for the connection's
// life.
const retainOutBytes = 1 << 20

func (s *Server) newConn(nc net.Conn) *conn {
	c := &conn{nc: nc}
	c.init(s, nc.RemoteAddr())
	c.rd.c = c
	c.wr.c = c
	if b, ok := s.pool.Get().(*connBufs); ok {
		b.r.Reset(&c.rd)
		c.bufs = b
	} else {
		c.bufs = &connBufs{
			r:   protocol.NewReader(&c.rd, protocol.ReaderOptions{BufferSize: readBufferSize, MaxLineBytes: s.cfg.MaxRequestBytes}),
			out: make([]byte, 0, writeBufferSize),
		}
	}
	c.r, c.out = c.bufs.r, c.bufs.out[:0]
	return c
}

// release gives the buffers back to the pool. The connection must not be
// used afterwards.
func (c *conn) release() {
	c.bufs.r.Reset(nil)
	if cap(c.out) <= retainOutBytes {
		c.bufs.out = c.out[:0]
	}
	c.srv.pool.Put(c.bufs)
	c.bufs, c.r, c.out = nil, nil, nil
	c.cancel()
}

// wake makes a read waiting for input return at t (Shutdown's drain).
func (c *conn) wake(t time.Time) { c.nc.SetReadDeadline(t) }

// kill closes the connection by force and cancels its queries.
func (c *conn) kill() {
	c.cancel()
	c.nc.Close()
}

// flush sends the buffered answers.
func (c *conn) flush() error {
	if c.werr != nil {
		return c.werr
	}
	if len(c.out) == 0 {
		return nil
	}
	_, err := c.wr.Write(c.out)
	if cap(c.out) > retainOutBytes {
		c.out = nil
	}
	c.out = c.out[:0]
	c.werr = err
	return err
}

// serve is the connection's goroutine: read a line, answer it, repeat. The
// answers are buffered and flushed when no more input is buffered (and, by
// connReader, before any read that might block), so that a pipelined burst
// is answered with few writes.
func (c *conn) serve() {
	defer c.finishConn()
	for {
		line, err := c.r.ReadLine()
		if err != nil && !errors.Is(err, protocol.ErrTooLarge) {
			c.readFailed(err)
			c.flush()
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
		if c.r.Buffered() == 0 || len(c.out) >= writeBufferSize {
			if err := c.flush(); err != nil {
				c.srv.log.Debug("server: write failed", "remote", c.remote, "err", err)
				return
			}
		}
	}
}

// finishConn closes the connection and forgets it.
func (c *conn) finishConn() {
	c.nc.Close()
	c.srv.forget(c)
	c.release()
	c.srv.wg.Done()
}

// handle answers one request line. It reports whether the connection must
// be closed after the answer (failed authentication).
func (c *conn) handle(line []byte) (closeConn bool) {
	name, act := c.prepare(line)
	switch act {
	case actClose:
		return true
	case actAnswered:
		return false
	}
	if name == nameWatch || name == nameUnwatch {
		return c.watch(line, name)
	}
	if c.runInline(name, line) {
		return false
	}
	var start time.Time
	if c.srv.m != nil {
		start = time.Now()
	}
	out, err := c.srv.exec.Query(c.qctx, line)
	c.finish(name, out, err, start)
	return false
}

// readFailed logs (and counts) why the connection stops reading.
func (c *conn) readFailed(err error) {
	s := c.srv
	switch {
	case err == io.EOF, errors.Is(err, net.ErrClosed):
		s.log.Debug("server: connection closed", "remote", c.remote)
	case timeoutError(err) && s.shutting.Load():
		s.log.Debug("server: connection closed: shutting down", "remote", c.remote)
	case timeoutError(err) && c.rd.state == stateInLine:
		if s.m != nil {
			s.m.readTimeout.Inc()
		}
		s.log.Info("server: connection closed: request line not completed in time", "remote", c.remote, "timeout", s.cfg.ReadTimeout)
	case timeoutError(err):
		if s.m != nil {
			s.m.idleTimeout.Inc()
		}
		s.log.Debug("server: connection closed: idle", "remote", c.remote, "timeout", s.cfg.IdleTimeout)
	default:
		s.log.Debug("server: read failed", "remote", c.remote, "err", err)
	}
}

// closeGracefully sends the buffered answers, half-closes the connection
// and drains what the client still sends for a moment (see lingerTimeout);
// finishConn then closes it.
func (c *conn) closeGracefully() {
	if c.flush() != nil {
		return
	}
	cw, ok := c.nc.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	c.nc.SetReadDeadline(time.Now().Add(lingerTimeout))
	io.CopyN(io.Discard, c.nc, lingerBytes)
}
