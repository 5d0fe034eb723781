package protocol

import (
	"bufio"
	"fmt"
	"io"
	"math"
)

// Defaults applied by NewReader to zero fields of ReaderOptions.
const (
	// DefaultReadBufferSize is the size of the Reader's bufio.Reader. Lines
	// that fit in it are returned without being copied.
	DefaultReadBufferSize = 64 << 10
	// DefaultMaxLineBytes is the longest line a Reader returns (16 MiB, the
	// server's default request limit).
	DefaultMaxLineBytes = 16 << 20
)

// retainLineBytes bounds the line buffer a Reader keeps between calls. A line
// longer than the bufio buffer is assembled in a buffer of its own; if that
// buffer grew beyond retainLineBytes it is dropped on the next call, so that a
// connection that once sent a 16 MiB line does not hold 16 MiB forever.
const retainLineBytes = 1 << 20

// ReaderOptions configure a Reader. The zero value means the defaults.
type ReaderOptions struct {
	// BufferSize is the size of the read buffer. Zero means
	// DefaultReadBufferSize; bufio raises sizes below 16 to 16.
	BufferSize int
	// MaxLineBytes is the longest line, terminator excluded, that ReadLine
	// returns. Longer lines are skipped with a *TooLargeError. Zero means
	// DefaultMaxLineBytes.
	MaxLineBytes int
}

// Validate reports whether o is usable: negative values are errors, zero
// values are replaced by defaults in NewReader.
func (o ReaderOptions) Validate() error {
	if o.BufferSize < 0 {
		return fmt.Errorf("protocol: BufferSize %d is negative", o.BufferSize)
	}
	if o.MaxLineBytes < 0 {
		return fmt.Errorf("protocol: MaxLineBytes %d is negative", o.MaxLineBytes)
	}
	return nil
}

// withDefaults returns o with zero (and, defensively, negative) fields
// replaced by their defaults.
func (o ReaderOptions) withDefaults() ReaderOptions {
	if o.BufferSize <= 0 {
		o.BufferSize = DefaultReadBufferSize
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	return o
}

// Reader splits a byte stream into lines: requests on a server, responses on
// a client.
//
// A line ends at "\n"; a "\r" right before the "\n" belongs to the
// terminator. Bytes after the last "\n" at end of input form a final line,
// returned as they are (a trailing "\r" is kept). Empty lines are returned
// as empty slices: whether to ignore them is the caller's decision (a server
// should skip them without answering, as a blank line is not a query).
//
// A Reader is not safe for concurrent use: one goroutine owns it, as it owns
// the connection's read side.
type Reader struct {
	br  *bufio.Reader
	max int
	// line assembles lines that do not fit in br's buffer. It is reused
	// between calls unless it grew beyond retainLineBytes.
	line []byte
}

// NewReader returns a Reader on r. Zero or negative fields of opts take
// their defaults; call opts.Validate first to reject negative values.
func NewReader(r io.Reader, opts ReaderOptions) *Reader {
	opts = opts.withDefaults()
	return &Reader{br: bufio.NewReaderSize(r, opts.BufferSize), max: opts.MaxLineBytes}
}

// Reset discards any buffered data and makes the Reader read from r, keeping
// its buffers and limit. It lets a server reuse Readers across connections.
func (r *Reader) Reset(rd io.Reader) {
	r.br.Reset(rd)
	if cap(r.line) > retainLineBytes {
		r.line = nil
	}
	r.line = r.line[:0]
}

// MaxLineBytes returns the longest line ReadLine returns.
func (r *Reader) MaxLineBytes() int { return r.max }

// Buffered returns how many bytes are already read from the underlying
// reader and waiting in the buffer. A server that sees Buffered() == 0 after
// answering a request knows the client has no further pipelined request in
// flight that it has already received, and should flush its responses before
// blocking in the next ReadLine.
func (r *Reader) Buffered() int { return r.br.Buffered() }

// TakeBuffered returns a copy of the bytes waiting in the buffer and drops
// them from it: a server that hands its connection to other code (a change
// feed) gives that code the input already read.
func (r *Reader) TakeBuffered() []byte {
	b, _ := r.br.Peek(r.br.Buffered())
	b = append([]byte(nil), b...)
	r.br.Discard(len(b))
	return b
}

// ReadLine returns the next line without its terminator. The slice aliases
// the Reader's buffers and is valid only until the next call to ReadLine or
// Reset; copy it to keep it. In the steady state ReadLine does not allocate.
//
// At end of input it returns the final unterminated line, if any, and then
// (nil, io.EOF). A line longer than MaxLineBytes is read to its end and
// discarded without being buffered, and ReadLine returns (nil,
// *TooLargeError); the next call returns the following line. Any other error
// from the underlying reader is returned as is, and the partial line is lost.
func (r *Reader) ReadLine() ([]byte, error) {
	if cap(r.line) > retainLineBytes {
		r.line = nil
	}
	r.line = r.line[:0]
	// Lines are assembled in r.line up to max+1 bytes: max bytes of content
	// plus a '\r' that may turn out to belong to the terminator. Beyond that
	// the line is too large whatever follows, and the rest is skipped.
	keep := r.max
	if keep < math.MaxInt {
		keep++
	}
	skipping := false
	for {
		frag, err := r.br.ReadSlice('\n')
		switch err {
		case nil:
			// frag ends the line.
			if skipping {
				return nil, r.tooLarge()
			}
			if len(r.line) == 0 {
				// Fast path: the whole line is in the bufio buffer.
				return r.check(trimEOL(frag))
			}
			if len(r.line)+len(frag)-1 > keep {
				return nil, r.tooLarge()
			}
			r.appendFrag(frag, keep)
			return r.check(trimEOL(r.line))
		case bufio.ErrBufferFull:
			if skipping || len(r.line)+len(frag) > keep {
				skipping = true
				continue
			}
			r.appendFrag(frag, keep)
		case io.EOF:
			if skipping {
				return nil, r.tooLarge()
			}
			if len(r.line) == 0 {
				if len(frag) == 0 {
					return nil, io.EOF
				}
				return r.check(frag)
			}
			if len(r.line)+len(frag) > keep {
				return nil, r.tooLarge()
			}
			r.appendFrag(frag, keep)
			return r.check(r.line)
		default:
			return nil, err
		}
	}
}

// appendFrag appends frag to r.line, growing it geometrically but never
// beyond keep bytes of capacity (the caller ensures the result fits), so that
// assembling a line of the maximum length allocates about twice the limit in
// total rather than append's overshoot.
func (r *Reader) appendFrag(frag []byte, keep int) {
	need := len(r.line) + len(frag)
	if need > cap(r.line) {
		n := min(max(2*cap(r.line), need), keep)
		grown := make([]byte, len(r.line), max(n, need))
		copy(grown, r.line)
		r.line = grown
	}
	r.line = append(r.line, frag...)
}

// check returns line, or a *TooLargeError if it is longer than the limit.
func (r *Reader) check(line []byte) ([]byte, error) {
	if len(line) > r.max {
		return nil, r.tooLarge()
	}
	return line, nil
}

func (r *Reader) tooLarge() error { return &TooLargeError{Limit: r.max} }

// trimEOL removes the final "\n" of line and a "\r" before it.
func trimEOL(line []byte) []byte {
	n := len(line) - 1 // line ends with '\n'
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	return line[:n]
}
