package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/fleetdb-go/fleetdb/internal/jsontext"
	"github.com/fleetdb-go/fleetdb/protocol"
)

// streamBufferSize is the read and write buffer of a Stream.
const streamBufferSize = 1 << 20

// Stream is a connection of its own to a server, for the exchanges that a
// pool's Query cannot express: requests sent ahead of their answers (Send
// many, Flush, then Receive the answers in order) and answers read piece
// by piece with bounded memory, whatever their size (Answer).
//
// A Stream is used by one goroutine, except that one goroutine may send
// (Send, Flush) while another receives (Receive, Answer, Discard). The end
// of the ctx given to DialStream closes the connection, which interrupts
// whatever is blocked on it; its errors then are the ctx's error.
type Stream struct {
	ctx  context.Context
	addr string
	nc   net.Conn
	bw   *bufio.Writer
	r    *jsontext.Reader
	req  []byte      // the request being encoded
	stop func() bool // disarms the ctx watcher
}

// DialStream connects to the server at addr and authenticates with
// WithPassword's password, if any. Of the options, WithPassword,
// WithDialTimeout, WithDialer and WithTLS apply; answers have no size
// limit (WithMaxResponseBytes does not apply): Answer reads them piece by
// piece, Receive whole.
func DialStream(ctx context.Context, addr string, opts ...Option) (*Stream, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		opt(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	dctx := ctx
	if cfg.dialTimeout > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, cfg.dialTimeout)
		defer cancel()
	}
	nc, err := cfg.dial(dctx, "tcp", addr)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		return nil, fmt.Errorf("client: dial %s: %w", addr, err)
	}
	s := &Stream{
		ctx:  ctx,
		addr: addr,
		nc:   nc,
		bw:   bufio.NewWriterSize(nc, streamBufferSize),
		r:    jsontext.NewReader(nc, streamBufferSize),
	}
	s.stop = context.AfterFunc(ctx, func() { nc.Close() })
	if cfg.password != "" {
		if d, ok := dctx.Deadline(); ok {
			nc.SetDeadline(d)
		}
		if err := s.auth(cfg.password); err != nil {
			s.Close()
			return nil, err
		}
		nc.SetDeadline(time.Time{})
	}
	return s, nil
}

// auth sends ["auth", password] and checks the answer.
func (s *Stream) auth(password string) error {
	if err := s.Send([]any{"auth", password}); err != nil {
		return err
	}
	if err := s.Flush(); err != nil {
		return fmt.Errorf("client: auth: %w", err)
	}
	line, err := s.line(nil)
	if err != nil {
		return fmt.Errorf("client: auth: %w", err)
	}
	status, value, err := protocol.ParseResponse(line)
	if err != nil {
		return fmt.Errorf("client: auth: %w: %w", ErrOutcomeUnknown, err)
	}
	return authAnswer(status, value)
}

// Addr returns the address the stream is connected to.
func (s *Stream) Addr() string { return s.addr }

// Close closes the connection.
func (s *Stream) Close() error {
	s.stop()
	return s.nc.Close()
}

// SetDeadline sets a deadline for every exchange on the stream, as
// net.Conn's SetDeadline does (the zero time: none).
func (s *Stream) SetDeadline(t time.Time) error { return s.nc.SetDeadline(t) }

// Send buffers one request: q as Query takes it (a json.RawMessage, a
// *json.RawMessage or a []byte is sent as it is; the pointer costs no
// allocation to pass). Flush sends what is buffered; a full buffer is
// sent on its own.
func (s *Stream) Send(q any) error {
	var err error
	if s.req, err = appendRequest(s.req[:0], q); err != nil {
		return err
	}
	_, err = s.bw.Write(s.req)
	return s.ioErr(err)
}

// Reads returns how many times the stream has read from the network so
// far: a caller timing answers (fleetdb bench) reads the clock after an
// answer only when this changed while it was read, since an answer already
// buffered arrived with the one before it.
func (s *Stream) Reads() int64 { return s.r.Fills() }

// Flush sends the requests buffered by Send.
func (s *Stream) Flush() error { return s.ioErr(s.bw.Flush()) }

// Query sends q and returns the value of its answer, as Client.Query does.
// Answers still due to earlier requests must have been received.
func (s *Stream) Query(q any) (json.RawMessage, error) {
	if err := s.Send(q); err != nil {
		return nil, err
	}
	if err := s.Flush(); err != nil {
		return nil, err
	}
	return s.Receive()
}

// Receive reads the next answer whole and returns its value; an answer
// with status 1 or 2 is an *Error.
func (s *Stream) Receive() (json.RawMessage, error) {
	v, err := s.AppendReceive(nil)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// AppendReceive is Receive appending the value to dst, so that a caller
// receiving many answers can reuse one buffer.
func (s *Stream) AppendReceive(dst []byte) ([]byte, error) {
	start := len(dst)
	line, err := s.line(dst)
	if err != nil {
		return dst[:start], err
	}
	value, err := ParseAnswer(line[start:])
	if err != nil {
		return dst[:start], err
	}
	return append(dst[:start], value...), nil
}

// ParseAnswer parses an answer's line (as AppendLine returns it) as
// Receive does: the value of status 0, an *Error for status 1 or 2, or an
// error wrapping ErrOutcomeUnknown for a line that is not an answer. The
// value shares line's bytes.
func ParseAnswer(line []byte) (json.RawMessage, error) {
	status, value, err := protocol.ParseResponse(line)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
	}
	if status != protocol.StatusOK {
		return nil, serverError(status, value)
	}
	return value, nil
}

// AppendLine reads the next answer's line as the server sent it, without
// its line end and unparsed, appended to dst: for a caller that checks the
// answers itself (fleetdb bench recognizes the answers it expects by their
// bytes, and parses the others with protocol.ParseResponse).
func (s *Stream) AppendLine(dst []byte) ([]byte, error) { return s.line(dst) }

// Discard reads the next answer and throws it away, whatever its status.
func (s *Stream) Discard() error {
	_, err := s.line(nil)
	return err
}

// line reads the next answer's line, appended to dst.
func (s *Stream) line(dst []byte) ([]byte, error) {
	line, err := s.r.Line(dst)
	return line, s.ioErr(err)
}

// Answer starts reading the next answer piece by piece. For status 0 it
// returns an Answer positioned at the value; read the value with its
// methods, then call End. For status 1 or 2 it reads the rest of the
// answer and returns it as an *Error.
func (s *Stream) Answer() (*Answer, error) {
	r := s.r
	if err := r.Expect('['); err != nil {
		return nil, s.ioErr(err)
	}
	st, err := r.Value(nil)
	if err != nil {
		return nil, s.ioErr(err)
	}
	if err := r.Expect(','); err != nil {
		return nil, s.ioErr(err)
	}
	a := &Answer{s: s}
	switch string(st) {
	case "0":
		return a, nil
	case "1", "2":
		msg, err := r.Value(nil)
		if err != nil {
			return nil, s.ioErr(err)
		}
		if err := a.End(); err != nil {
			return nil, err
		}
		return nil, serverError(protocol.Status(st[0]-'0'), msg)
	}
	return nil, s.ioErr(fmt.Errorf("%w: status %s", jsontext.ErrUnexpected, st))
}

// ioErr turns an error of the exchange into the error the stream returns:
// the ctx's error when it ended (its watcher closed the connection), else
// a lost connection (ErrOutcomeUnknown).
func (s *Stream) ioErr(err error) error {
	if err == nil {
		return nil
	}
	if cerr := s.ctx.Err(); cerr != nil {
		return cerr
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
}

// Answer is the value of an answer with status 0, read piece by piece
// from its Stream: arrays element by element (Expect('['), then Next
// before each element), values whole (Value) or skipped (Skip). End reads
// the end of the answer; the next answer can be read after it.
type Answer struct{ s *Stream }

// Peek returns the next byte of the value, after white space, without
// consuming it.
func (a *Answer) Peek() (byte, error) {
	c, err := a.s.r.Peek()
	return c, a.s.ioErr(err)
}

// Expect consumes the byte c ('[', ',', ...), after white space.
func (a *Answer) Expect(c byte) error { return a.s.ioErr(a.s.r.Expect(c)) }

// Next moves to the next element of an array whose '[' was consumed: it
// consumes the ',' before every element but the first (*first tells which,
// and is set to false), or the closing ']' and reports false.
func (a *Answer) Next(first *bool) (bool, error) {
	more, err := a.s.r.Next(first)
	return more, a.s.ioErr(err)
}

// Value appends the next JSON value, as the server wrote it, to dst.
func (a *Answer) Value(dst []byte) ([]byte, error) {
	v, err := a.s.r.Value(dst)
	return v, a.s.ioErr(err)
}

// Skip consumes the next value, walking arrays and objects element by
// element so that memory stays bounded whatever their size.
func (a *Answer) Skip() error { return a.s.ioErr(a.s.r.Skip()) }

// End reads the ']' that closes the answer, and its line end.
func (a *Answer) End() error {
	if err := a.s.r.Expect(']'); err != nil {
		return a.s.ioErr(err)
	}
	_, err := a.s.line(nil)
	return err
}
