//go:build linux

package server

// The end of an event-loop connection: a last line without a terminator,
// closing on the server's initiative (linger), and close.

import "syscall"

// atEOF answers a last line left without a terminator, then closes the
// connection once everything is sent.
func (c *lconn) atEOF() {
	if line, tooLarge, ok := c.split.Final(c.in[c.inOff:]); ok {
		c.in, c.inOff = c.in[:0], 0
		switch {
		case tooLarge:
			if c.tooLarge() {
				c.startLinger()
				return
			}
		case blank(line):
		default:
			name, act := c.prepare(line)
			switch act {
			case actClose:
				c.startLinger()
				return
			case actQuery:
				if !c.runInline(name, line) {
					c.qname = name
					c.in = append(c.in[:0], line...)
					c.qline = c.in
					c.inOff = len(c.in)
					c.startQuery()
					return
				}
			}
		}
	}
	if c.send() {
		c.close()
	}
}

// startLinger begins closing on the server's initiative.
func (c *lconn) startLinger() {
	c.lingering = true
	c.lingerLeft = lingerBytes
	c.in, c.inOff = nil, 0
}

// linger runs once the answers are sent: shut the write side, then drop
// input until the client closes, lingerBytes or lingerDeadline.
func (c *lconn) linger() {
	if !c.shutWrite {
		c.shutWrite = true
		c.lingerDeadline = c.l.now.Add(lingerTimeout)
		if syscall.Shutdown(c.fd, syscall.SHUT_WR) != nil {
			c.close()
			return
		}
	}
	for c.readable && !c.eof {
		n, err := syscall.Read(c.fd, c.l.buf)
		switch {
		case err == syscall.EINTR:
		case err == syscall.EAGAIN:
			c.readable = false
		case err != nil || n == 0:
			c.eof = true
		default:
			c.lingerLeft -= n
			if c.lingerLeft <= 0 {
				c.eof = true
			}
		}
	}
	if c.eof {
		c.close()
	}
}

// close closes the connection and forgets it. Not while busy.
func (c *lconn) close() {
	if c.closed {
		return
	}
	c.closed = true
	l := c.l
	if c.fd < len(l.byFD) && l.byFD[c.fd] == c {
		l.byFD[c.fd] = nil
		l.nconns--
	}
	c.mu.Lock()
	c.fdClosed = true
	syscall.Close(c.fd)
	c.mu.Unlock()
	c.in = nil
	c.cancel()
	s := c.srv
	s.forget(c)
	l.assigned.Add(-1)
	s.wg.Done()
}
