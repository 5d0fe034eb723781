package server

import (
	"bytes"
	"io"
	"time"
)

// watch answers a watch or unwatch line on a connection served by its own
// goroutine: a watch that opens runs the watch mode (runWatch) on this
// goroutine, with the input already read, and the connection goes on with
// the input left when it ends. It reports whether the connection must be
// closed.
func (c *conn) watch(line []byte, name int) (closeConn bool) {
	w := c.openWatch(line, name)
	if w == nil {
		return false
	}
	if c.flush() != nil {
		w.end()
		w.stop()
		return true
	}
	end := c.srv.runWatch(c.nc, w, c.r.TakeBuffered())
	// runWatch may have moved the read deadline: the reader sets its own
	// again from a clean state.
	c.nc.SetReadDeadline(time.Time{})
	c.rd.deadline = time.Time{}
	if end.closed {
		return true
	}
	c.out = append(c.out, end.answer...)
	if len(end.rest) > 0 {
		c.r.Reset(io.MultiReader(bytes.NewReader(end.rest), &c.rd))
	}
	return false
}
