//go:build linux

package server

// Point reads answered in batches on an event loop: the complete lines of
// a connection offered to a ReadBatchExecutor at once.

import (
	"time"

	"github.com/fleetdb-go/fleetdb/protocol"
)

// loopBatchLines is the most lines of a connection batchReads offers the
// Executor at once: two pipelined batches of 32.
const loopBatchLines = 64

// batchReads offers the complete lines at the start of buf (at most
// loopBatchLines, up to a too-large or blank line) to the Executor's
// AppendReads (ReadBatchExecutor) and appends the answers of those it
// answers. It returns the bytes of buf those lines took (0: none
// answered), and the bytes it looked at, past which the caller may offer
// again. Only an authenticated connection of a server that is not shutting
// down is offered, and only when at least two lines are complete.
func (c *lconn) batchReads(buf []byte) (used, seen int) {
	s := c.srv
	if s.reads == nil || s.inline == nil || !c.authed || s.shutting.Load() {
		return 0, len(buf)
	}
	lines := c.l.lines[:0]
	ends := c.l.lineEnds[:0]
	sp := c.split // a copy: the lines are split again as they are answered
	pos := 0
	for len(lines) < cap(lines) {
		line, n, tooLarge, ok := sp.Next(buf[pos:])
		if !ok || tooLarge || blank(line) {
			break
		}
		pos += n
		lines = append(lines, line)
		ends = append(ends, pos)
	}
	defer clear(c.l.lines[:len(lines)]) // keep no request bytes alive
	if len(lines) < 2 {
		return 0, max(pos, 1)
	}
	var start time.Time
	if s.m != nil {
		start = time.Now()
	}
	out, n := s.reads.AppendReads(c.qctx, c.out, lines, answerPrefix, answerSuffix)
	if n == 0 {
		return 0, pos
	}
	c.out = out
	if s.m != nil {
		el := time.Since(start).Seconds()
		for _, line := range lines[:n] {
			name := queryIndex(line)
			s.m.latency[name].Observe(el)
			s.m.answered(name, protocol.StatusOK)
		}
	}
	for range n {
		c.l.counted(false)
	}
	return ends[n-1], ends[n-1]
}

// The frame of a successful answer around its value.
var answerPrefix, answerSuffix = []byte("[0,"), []byte("]\r\n")
