package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/fleetdb-go/fleetdb/protocol"
)

// conn is one pooled connection. It is used by one goroutine at a time: the
// one that took it from the pool, until it gives it back. The only other
// goroutine that touches it is the context.AfterFunc callback of an exchange,
// which closes nc (net.Conn is safe for that).
type conn struct {
	nc net.Conn
	r  *protocol.Reader
	// hasDeadline records that nc has a deadline set, to be cleared before
	// an exchange whose ctx has none.
	hasDeadline bool
	// broken marks a connection in an unknown state (I/O error, ctx
	// interruption, unparsable answer, server about to close): it is
	// closed instead of going back to the pool.
	broken bool
}

func newConn(nc net.Conn, maxResponseBytes int) *conn {
	return &conn{nc: nc, r: protocol.NewReader(nc, protocol.ReaderOptions{MaxLineBytes: maxResponseBytes})}
}

// begin prepares cn for an exchange under ctx: it gives nc the ctx's
// deadline, and arranges for the end of ctx to close nc, which unblocks any
// read or write in progress. The caller must call end with the returned
// stop function once its I/O is over.
func (cn *conn) begin(ctx context.Context) (stop func() bool, err error) {
	if d, ok := ctx.Deadline(); ok {
		err = cn.nc.SetDeadline(d)
		cn.hasDeadline = true
	} else if cn.hasDeadline {
		err = cn.nc.SetDeadline(time.Time{})
		cn.hasDeadline = false
	}
	if err != nil {
		cn.broken = true
		return nil, fmt.Errorf("client: set deadline: %w", err)
	}
	if ctx.Done() == nil {
		return nil, nil
	}
	return context.AfterFunc(ctx, func() { cn.nc.Close() }), nil
}

// end disarms the ctx callback of begin. If it has already run (or is
// running), nc is closed or about to be, and cn is marked broken.
func (cn *conn) end(stop func() bool) {
	if stop != nil && !stop() {
		cn.broken = true
	}
}

// roundTrip sends one request line (terminator included) and reads its
// answer. The value is copied out of the reader's buffer. A status 1 or 2
// answer is not an error here: the caller decides.
func (cn *conn) roundTrip(ctx context.Context, req []byte) (protocol.Status, json.RawMessage, error) {
	stop, err := cn.begin(ctx)
	if err != nil {
		return 0, nil, err
	}
	_, err = cn.nc.Write(req)
	var line []byte
	if err == nil {
		line, err = cn.r.ReadLine()
	}
	cn.end(stop)
	if err != nil {
		return 0, nil, cn.ioError(ctx, err)
	}
	status, value, err := protocol.ParseResponse(line)
	if err != nil {
		cn.broken = true
		return 0, nil, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
	}
	return status, bytes.Clone(value), nil
}

// ioError turns an error met after a request was (perhaps partly) written
// into the error the caller returns: it wraps ErrOutcomeUnknown and, when
// the ctx ended, the ctx's error. Every such error but a too-large answer
// (skipped whole by the Reader) leaves cn broken.
func (cn *conn) ioError(ctx context.Context, err error) error {
	if errors.Is(err, protocol.ErrTooLarge) {
		return fmt.Errorf("%w: answer: %w", ErrOutcomeUnknown, err)
	}
	cn.broken = true
	if cerr := ctxError(ctx, err); cerr != nil {
		return fmt.Errorf("%w: %w", ErrOutcomeUnknown, cerr)
	}
	if err == io.EOF {
		return fmt.Errorf("%w: connection closed by the server: %w", ErrOutcomeUnknown, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
}

// ctxError returns the ctx's error if the ctx explains err: it ended, or err
// is the expiry of the conn deadline that begin copied from the ctx (which
// may fire a moment before the ctx's own timer).
func ctxError(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
			return context.DeadlineExceeded
		}
	}
	return nil
}

// auth sends ["auth", password] and checks the answer.
func (cn *conn) auth(ctx context.Context, password string) error {
	req, err := appendRequest(nil, []any{"auth", password})
	if err != nil {
		return err
	}
	status, value, err := cn.roundTrip(ctx, req)
	if err != nil {
		return fmt.Errorf("client: auth: %w", err)
	}
	return authAnswer(status, value)
}

// authAnswer checks the answer to ["auth", password].
func authAnswer(status protocol.Status, value json.RawMessage) error {
	if status != protocol.StatusOK {
		return fmt.Errorf("%w: %w", ErrAuth, serverError(status, value))
	}
	var answer string
	if json.Unmarshal(value, &answer) != nil ||
		answer != protocol.AuthAccepted && answer != protocol.AuthUnneeded {
		return fmt.Errorf("%w: unexpected answer %s", ErrAuth, value)
	}
	return nil
}
