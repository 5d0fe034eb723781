package jsontext

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Reader reads JSON values one at a time from a stream, without holding
// more than its buffer and the value being read: it lets a caller walk an
// answer of any size element by element. It splits values; it does not
// validate them (the stream is trusted to be JSON).
type Reader struct {
	r        io.Reader
	buf      []byte
	pos, end int   // unread bytes are buf[pos:end]
	err      error // sticky read error
	read     int64 // bytes consumed (for progress)
	fills    int64 // reads of the underlying reader
}

// NewReader returns a Reader of r with a buffer of size bytes (it grows
// to hold a scalar or string longer than that).
func NewReader(r io.Reader, size int) *Reader {
	return &Reader{r: r, buf: make([]byte, max(size, 16))}
}

// ErrUnexpected reports a stream that is not the JSON the caller expected.
var ErrUnexpected = errors.New("unexpected JSON")

// Consumed returns the number of bytes consumed so far.
func (s *Reader) Consumed() int64 { return s.read }

// Fills returns how many times the Reader has read from its io.Reader: a
// caller timing what it reads needs a new clock reading only when it
// changed.
func (s *Reader) Fills() int64 { return s.fills }

// Buffered returns the size of the buffer (it grows for long scalars).
func (s *Reader) Buffered() int { return len(s.buf) }

// fill reads more input; it reports false when none can come.
func (s *Reader) fill() bool {
	if s.err != nil {
		return false
	}
	if s.pos > 0 {
		s.end = copy(s.buf, s.buf[s.pos:s.end])
		s.pos = 0
	}
	if s.end == len(s.buf) {
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	n, err := s.r.Read(s.buf[s.end:])
	s.fills++
	s.end += n
	if err != nil && n == 0 {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		s.err = err
		return false
	}
	return true
}

// Peek skips white space and returns the next byte without consuming it.
func (s *Reader) Peek() (byte, error) {
	for {
		for s.pos < s.end {
			switch c := s.buf[s.pos]; c {
			case ' ', '\t', '\r', '\n':
				s.pos++
				s.read++
			default:
				return c, nil
			}
		}
		if !s.fill() {
			return 0, s.err
		}
	}
}

// Expect consumes the byte c, after white space.
func (s *Reader) Expect(c byte) error {
	got, err := s.Peek()
	if err != nil {
		return err
	}
	if got != c {
		return fmt.Errorf("%w: want %q, got %q", ErrUnexpected, c, got)
	}
	s.pos++
	s.read++
	return nil
}

// Next moves to the next element of an array whose '[' was consumed:
// it consumes the ',' before every element but the first (*first tells
// which), or the closing ']' and reports false.
func (s *Reader) Next(first *bool) (bool, error) {
	c, err := s.Peek()
	if err != nil {
		return false, err
	}
	if c == ']' {
		s.pos++
		s.read++
		return false, nil
	}
	if *first {
		*first = false
		return true, nil
	}
	if c != ',' {
		return false, fmt.Errorf("%w: want ',' or ']', got %q", ErrUnexpected, c)
	}
	s.pos++
	s.read++
	return true, nil
}

// Value appends the next JSON value, exactly as it is in the stream, to
// dst.
func (s *Reader) Value(dst []byte) ([]byte, error) {
	c, err := s.Peek()
	if err != nil {
		return dst, err
	}
	switch c {
	case '{', '[', '"':
		return s.until(dst)
	case ',', ']', '}', ':':
		return dst, fmt.Errorf("%w: want a value, got %q", ErrUnexpected, c)
	}
	// A number or a literal: up to the next delimiter.
	for {
		i := s.pos
		for i < s.end {
			switch s.buf[i] {
			case ',', ']', '}', ' ', '\t', '\r', '\n':
				return s.take(dst, i-s.pos), nil
			}
			i++
		}
		dst = s.take(dst, s.end-s.pos)
		if !s.fill() {
			return dst, s.err
		}
	}
}

// until appends the string, array or object that starts at the next byte:
// up to the quote or bracket that closes it.
func (s *Reader) until(dst []byte) ([]byte, error) {
	var n Nesting
	i := s.pos
	for {
		for ; i < s.end; i++ {
			switch n.Step(s.buf[i]) {
			case Quote:
				if n.InString || n.Depth > 0 {
					continue
				}
			case Close:
				if n.Depth > 0 {
					continue
				}
			default:
				continue
			}
			return s.take(dst, i+1-s.pos), nil
		}
		dst = s.take(dst, s.end-s.pos)
		if !s.fill() {
			return dst, s.err
		}
		i = s.pos
	}
}

// Line appends the rest of the current line to dst, without its line
// feed (and the carriage return before it), and consumes it with the line
// feed. A stream that ends without a line feed is io.ErrUnexpectedEOF.
func (s *Reader) Line(dst []byte) ([]byte, error) {
	start := len(dst)
	for {
		if i := bytes.IndexByte(s.buf[s.pos:s.end], '\n'); i >= 0 {
			dst = s.take(dst, i)
			s.pos++ // the line feed
			s.read++
			if len(dst) > start && dst[len(dst)-1] == '\r' {
				dst = dst[:len(dst)-1]
			}
			return dst, nil
		}
		dst = s.take(dst, s.end-s.pos)
		if !s.fill() {
			return dst, s.err
		}
	}
}

// take appends the next n buffered bytes to dst and consumes them.
func (s *Reader) take(dst []byte, n int) []byte {
	dst = append(dst, s.buf[s.pos:s.pos+n]...)
	s.pos += n
	s.read += int64(n)
	return dst
}

// Skip consumes the next value without keeping it.
func (s *Reader) Skip() error {
	_, err := s.Discard(nil)
	return err
}

// Discard reads a value like value but keeps none of it: arrays and objects
// are walked element by element, so that memory stays bounded whatever
// their size. dst is scratch space for the scalars.
func (s *Reader) Discard(dst []byte) ([]byte, error) {
	c, err := s.Peek()
	if err != nil {
		return dst, err
	}
	if c != '{' && c != '[' {
		_, err := s.Value(dst)
		return dst, err
	}
	// Walk element by element, so that a huge array is not kept.
	s.pos++
	s.read++
	closing := byte(']')
	if c == '{' {
		closing = '}'
	}
	for {
		c, err := s.Peek()
		if err != nil {
			return dst, err
		}
		switch c {
		case closing:
			s.pos++
			s.read++
			return dst, nil
		case ',', ':':
			s.pos++
			s.read++
			continue
		}
		if _, err := s.Discard(dst[:0]); err != nil {
			return dst, err
		}
	}
}
