//go:build linux

package server

import (
	"net"
	"os"
	"syscall"

	"github.com/fleetdb-go/fleetdb/protocol"
)

// lconnWatch is the watch state of a connection served by an event loop.
// The loop hands the connection to a goroutine for the watch mode: it is
// busy meanwhile (the loop neither reads nor writes it), and the goroutine
// serves it through a duplicate of its descriptor (a net.Conn on Go's own
// poller), then gives back the input left and the answer that ends the
// watch, through loop.complete like a query's result.
type lconnWatch struct {
	next *watchOpen // opened, waiting for the earlier answers to be sent
	end  *watchEnd  // the watch ended; the loop takes it
}

// feedWatch answers a watch or unwatch line read by the loop. It reports
// whether a watch opened (the loop stops answering and starts it once the
// answers before it are sent).
func (c *lconn) feedWatch(line []byte, name int) bool {
	w := c.openWatch(line, name)
	if w == nil {
		return false
	}
	c.watchState.next = w
	return true
}

// startWatch hands the connection to the watch mode's goroutine. The
// answers before the watch are all sent.
func (c *lconn) startWatch() {
	w := c.watchState.next
	c.watchState.next = nil
	pending := append([]byte(nil), c.in[c.inOff:]...)
	c.in, c.inOff = c.in[:0], 0
	nc, err := dupConn(c.fd)
	if err != nil {
		w.end()
		w.stop()
		c.srv.log.Error("server: watch: cannot hand the connection over", "err", err)
		c.answer(nameWatch, protocol.StatusFailed, "server: watch failed: "+err.Error())
		return
	}
	c.busy = true
	go func() {
		end := c.srv.runWatch(nc, w, pending)
		nc.Close()
		c.watchState.end = &end
		c.l.complete(c)
	}()
}

// finishWatch takes back a connection whose watch mode ended.
func (c *lconn) finishWatch() {
	end := c.watchState.end
	c.watchState.end = nil
	c.lastActive = c.l.now
	if end.closed {
		c.close()
		return
	}
	c.out = append(c.out, end.answer...)
	c.in, c.inOff = append(c.in[:0], end.rest...), 0
}

// dupConn returns a net.Conn on a duplicate of fd.
func dupConn(fd int) (net.Conn, error) {
	d, err := syscall.Dup(fd)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(d), "watch")
	defer f.Close()
	return net.FileConn(f)
}
