package transfer

import (
	"errors"
	"fmt"
	"io"
)

// scanner reads JSON values one at a time from a stream, without holding
// more than its buffer and the value being read: it lets export and backup
// walk a response of any size, element by element. It splits values; it
// does not validate them (the server's output is trusted to be JSON).
type scanner struct {
	r        io.Reader
	buf      []byte
	pos, end int   // unread bytes are buf[pos:end]
	err      error // sticky read error
	read     int64 // bytes consumed (for progress)
}

func newScanner(r io.Reader, size int) *scanner {
	return &scanner{r: r, buf: make([]byte, size)}
}

// errBadJSON reports a stream that is not the JSON the caller expected.
var errBadJSON = errors.New("unexpected JSON in the server's answer")

// fill reads more input; it reports false when none can come.
func (s *scanner) fill() bool {
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

// peek skips white space and returns the next byte without consuming it.
func (s *scanner) peek() (byte, error) {
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

// expect consumes the byte c, after white space.
func (s *scanner) expect(c byte) error {
	got, err := s.peek()
	if err != nil {
		return err
	}
	if got != c {
		return fmt.Errorf("%w: want %q, got %q", errBadJSON, c, got)
	}
	s.pos++
	s.read++
	return nil
}

// next moves to the next element of an array whose '[' was consumed:
// it consumes the ',' before every element but the first (*first tells
// which), or the closing ']' and reports false.
func (s *scanner) next(first *bool) (bool, error) {
	c, err := s.peek()
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
		return false, fmt.Errorf("%w: want ',' or ']', got %q", errBadJSON, c)
	}
	s.pos++
	s.read++
	return true, nil
}

// value appends the next JSON value, exactly as it is in the stream, to
// dst.
func (s *scanner) value(dst []byte) ([]byte, error) {
	c, err := s.peek()
	if err != nil {
		return dst, err
	}
	switch c {
	case '{', '[':
		return s.nested(dst)
	case '"':
		return s.str(dst)
	case ',', ']', '}', ':':
		return dst, fmt.Errorf("%w: want a value, got %q", errBadJSON, c)
	}
	// A number or a literal: up to the next delimiter.
	for {
		i := s.pos
		for i < s.end {
			switch s.buf[i] {
			case ',', ']', '}', ' ', '\t', '\r', '\n':
				dst = append(dst, s.buf[s.pos:i]...)
				s.read += int64(i - s.pos)
				s.pos = i
				return dst, nil
			}
			i++
		}
		dst = append(dst, s.buf[s.pos:s.end]...)
		s.read += int64(s.end - s.pos)
		s.pos = s.end
		if !s.fill() {
			return dst, s.err
		}
	}
}

// str appends a string value, quotes included.
func (s *scanner) str(dst []byte) ([]byte, error) {
	i := s.pos + 1
	escaped := false
	for {
		for ; i < s.end; i++ {
			c := s.buf[i]
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				dst = append(dst, s.buf[s.pos:i+1]...)
				s.read += int64(i + 1 - s.pos)
				s.pos = i + 1
				return dst, nil
			}
		}
		dst = append(dst, s.buf[s.pos:s.end]...)
		s.read += int64(s.end - s.pos)
		s.pos, i = s.end, s.end
		if !s.fill() {
			return dst, s.err
		}
		i = s.pos
	}
}

// nested appends an object or an array.
func (s *scanner) nested(dst []byte) ([]byte, error) {
	depth := 0
	inStr, escaped := false, false
	i := s.pos
	for {
		for ; i < s.end; i++ {
			c := s.buf[i]
			if inStr {
				switch {
				case escaped:
					escaped = false
				case c == '\\':
					escaped = true
				case c == '"':
					inStr = false
				}
				continue
			}
			switch c {
			case '"':
				inStr = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					dst = append(dst, s.buf[s.pos:i+1]...)
					s.read += int64(i + 1 - s.pos)
					s.pos = i + 1
					return dst, nil
				}
			}
		}
		dst = append(dst, s.buf[s.pos:s.end]...)
		s.read += int64(s.end - s.pos)
		s.pos = s.end
		if !s.fill() {
			return dst, s.err
		}
		i = s.pos
	}
}

// skip consumes the next value without keeping it.
func (s *scanner) skip() error {
	_, err := s.discard(nil)
	return err
}

// discard reads a value like value but keeps none of it: arrays and objects
// are walked element by element, so that memory stays bounded whatever
// their size. dst is scratch space for the scalars.
func (s *scanner) discard(dst []byte) ([]byte, error) {
	c, err := s.peek()
	if err != nil {
		return dst, err
	}
	if c != '{' && c != '[' {
		_, err := s.value(dst)
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
		c, err := s.peek()
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
		if _, err := s.discard(dst[:0]); err != nil {
			return dst, err
		}
	}
}
