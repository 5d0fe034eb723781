package protocol

import (
	"bytes"
	"math"
)

// Splitter finds lines in bytes that the caller reads itself, for servers
// that do not block in a read (an event loop reads whatever a socket holds,
// then splits it). It returns the same lines and the same too-large errors
// as a Reader with the same MaxLineBytes, in the same order: a Reader is a
// Splitter over a blocking io.Reader.
//
// The caller keeps the unconsumed bytes and passes them again, with more
// appended, once more have arrived. A line longer than the limit is not
// kept: Next consumes it as it arrives and reports it once its end has.
// A Splitter is not safe for concurrent use.
type Splitter struct {
	max int
	// skipping: a too-large line is being consumed; it is reported when
	// its "\n" (or the end of input) arrives.
	skipping bool
}

// NewSplitter returns a Splitter for lines of at most maxLineBytes bytes,
// terminator excluded (zero or negative: DefaultMaxLineBytes).
func NewSplitter(maxLineBytes int) Splitter {
	if maxLineBytes <= 0 {
		maxLineBytes = DefaultMaxLineBytes
	}
	return Splitter{max: maxLineBytes}
}

// MaxLineBytes returns the longest line Next returns.
func (s *Splitter) MaxLineBytes() int { return s.max }

// InLine reports whether a too-large line is being skipped: its start has
// been consumed, its end has not arrived.
func (s *Splitter) InLine() bool { return s.skipping }

// Next looks for the next line in buf. It returns how many bytes of buf it
// consumed and, when a line ended within them, the line without its
// terminator (aliasing buf) with ok true, or, for a line longer than the
// limit, tooLarge and ok true. With ok false no line ended: n is 0, or all
// of buf when the bytes belong to a too-large line (the caller drops them).
func (s *Splitter) Next(buf []byte) (line []byte, n int, tooLarge, ok bool) {
	i := bytes.IndexByte(buf, '\n')
	if i < 0 {
		if s.skipping || len(buf) > s.keep() {
			s.skipping = true
			return nil, len(buf), false, false
		}
		return nil, 0, false, false
	}
	if s.skipping {
		s.skipping = false
		return nil, i + 1, true, true
	}
	line = trimEOL(buf[:i+1])
	if len(line) > s.max {
		return nil, i + 1, true, true
	}
	return line, i + 1, false, true
}

// Final is Next at the end of input: rest, the bytes left unconsumed, form
// a last line returned as it is (a trailing "\r" is kept), as Reader
// returns it. ok is false when there is nothing left. A too-large line
// being skipped, or a rest longer than the limit, is tooLarge.
func (s *Splitter) Final(rest []byte) (line []byte, tooLarge, ok bool) {
	if s.skipping {
		s.skipping = false
		return nil, true, true
	}
	if len(rest) == 0 {
		return nil, false, false
	}
	if len(rest) > s.max {
		return nil, true, true
	}
	return rest, false, true
}

// keep is the most bytes an unfinished line may hold before it is known to
// be too large: the limit plus a "\r" that may belong to the terminator.
func (s *Splitter) keep() int {
	if s.max == math.MaxInt {
		return s.max
	}
	return s.max + 1
}
