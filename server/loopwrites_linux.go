//go:build linux

package server

import (
	"bytes"
	"time"
)

// loopMaxWrites bounds the writes of one connection in one batch: a client
// that pipelines writes has up to this many made durable by one commit
// (Redis's loop likewise runs every command a read brought).
const loopMaxWrites = 64

// lquery is a write in flight behind a connection's first (lconn.more).
type lquery struct {
	name   int
	off, n int    // its line is c.in[c.qoff+off:][:n]
	line   []byte // the line, in c.in
	start  time.Time
	out    []byte
	err    error
}

// moreWrites looks, after a write about to go into the loop's batch (the
// line buf[lineStart:end], query name), for more writes that follow it in
// buf, complete, so that they go into the same batch: blank lines are
// skipped, and it stops at anything else, whose answer must come after
// theirs. It records them in c.more (their offsets from lineStart) and
// returns how many bytes from lineStart the lines in flight take.
//
// Only writes that prepare would hand to the Executor are taken: the
// connection is authenticated and the server not shutting down (a line
// read later is answered by the server itself, after them).
func (c *lconn) moreWrites(buf []byte, lineStart, end, name int) int {
	c.more = c.more[:0]
	if !c.batchable(name) {
		return end - lineStart
	}
	for len(c.more) < loopMaxWrites-1 {
		rest := buf[end:]
		if bytes.IndexByte(rest, '\n') < 0 {
			break // a partial line: Next would keep state for it
		}
		line, n, tooLarge, ok := c.split.Next(rest)
		if !ok || tooLarge {
			break // a complete line: Next changed nothing
		}
		if blank(line) {
			end += n
			continue
		}
		qn := queryIndex(line)
		if !c.batchable(qn) {
			break
		}
		c.more = append(c.more, lquery{name: qn, off: end - lineStart, n: len(line)})
		end += n
	}
	return end - lineStart
}

// batchable reports whether a query of this name may join the writes of
// the connection in the loop's batch.
func (c *lconn) batchable(name int) bool {
	return c.l.batch != nil && nameWrites[name] && name != nameCall && c.authed &&
		!c.srv.shutting.Load()
}

// addMore adds the writes of c.more to the loop's batch after the first.
// One the batch declines goes back to the input with those after it: they
// are read again once the others are answered.
func (c *lconn) addMore() {
	l := c.l
	for i := range c.more {
		m := &c.more[i]
		m.start = c.qstart
		if !l.batch.Add(c.qctx, m.line, c.queryDone) {
			c.putBackMore(i)
			return
		}
		l.batched++
	}
}

// putBackMore returns c.more[i:] to the input, unstarted.
func (c *lconn) putBackMore(i int) {
	if i < len(c.more) {
		c.inOff = c.qoff + c.more[i].off
		clear(c.more[i:])
		c.more = c.more[:i]
	}
}

// finishMore appends the answers of the writes that followed the first.
func (c *lconn) finishMore() {
	for i := range c.more {
		m := &c.more[i]
		c.finish(m.name, m.out, m.err, m.start)
	}
	clear(c.more)
	c.more = c.more[:0]
}
