package transfer

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"time"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/fleetdb-go/fleetdb/internal/jsontext"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/protocol"
)

// rawConn is one protocol connection used directly, without the client's
// pool, by the commands that stream: import and restore pipeline batches
// on it, export and backup read answers of any size from it piece by piece
// (client.Query would hold a whole answer in memory).
//
// It is used by one goroutine at a time, except that import's writer and
// reader goroutines share it: one only sends, the other only reads.
type rawConn struct {
	ctx  context.Context
	addr string
	nc   net.Conn
	bw   *bufio.Writer
	sc   *jsontext.Reader
	stop func() bool // disarms the ctx watcher
}

const rawBufferSize = 1 << 20

// errBadJSON reports an answer that is not the JSON the command expected.
var errBadJSON = fmt.Errorf("%w in the server's answer", jsontext.ErrUnexpected)

// dialRaw opens a connection to the server c names and authenticates it.
// The end of ctx closes the connection, which interrupts whatever is
// blocked on it.
func dialRaw(ctx context.Context, c *cliutil.ConnFlags) (*rawConn, error) {
	addr, err := c.Addr()
	if err != nil {
		return nil, err
	}
	tc, err := c.TLSConfig()
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: c.ConnectTimeout}
	var nc net.Conn
	if tc != nil {
		nc, err = (&tls.Dialer{NetDialer: &d, Config: tc}).DialContext(ctx, "tcp", addr)
	} else {
		nc, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &cliutil.UnreachableError{Addr: addr, Err: err}
	}
	rc := &rawConn{
		ctx:  ctx,
		addr: addr,
		nc:   nc,
		bw:   bufio.NewWriterSize(nc, rawBufferSize),
		sc:   jsontext.NewReader(nc, rawBufferSize),
	}
	rc.stop = context.AfterFunc(ctx, func() { nc.Close() })
	if pw := c.Secret(); pw != "" {
		if c.ConnectTimeout > 0 {
			nc.SetDeadline(time.Now().Add(c.ConnectTimeout))
		}
		req, _ := json.Marshal([]any{"auth", pw})
		v, err := rc.query(req)
		var answer string
		switch {
		case err != nil:
			rc.Close()
			if e, ok := err.(*client.Error); ok {
				err = fmt.Errorf("%w: %w", client.ErrAuth, e)
			}
			return nil, cliutil.DialError(addr, err)
		case json.Unmarshal(v, &answer) != nil || answer != protocol.AuthAccepted && answer != protocol.AuthUnneeded:
			rc.Close()
			return nil, cliutil.DialError(addr, fmt.Errorf("%w: unexpected answer %s", client.ErrAuth, v))
		}
		nc.SetDeadline(time.Time{})
	}
	return rc, nil
}

// Close closes the connection.
func (c *rawConn) Close() error {
	c.stop()
	return c.nc.Close()
}

// send buffers one request line; flush sends what is buffered.
func (c *rawConn) send(req []byte) error {
	c.bw.Write(req)
	_, err := c.bw.WriteString("\r\n")
	return c.ioErr(err)
}

func (c *rawConn) flush() error { return c.ioErr(c.bw.Flush()) }

// begin reads the head of an answer, "[status,". For status 0 it returns
// nil and the value is next in c.sc; the caller reads it, then calls end.
// For status 1 or 2 it reads the rest of the answer and returns it as a
// *client.Error.
func (c *rawConn) begin() error {
	if err := c.sc.Expect('['); err != nil {
		return c.ioErr(err)
	}
	st, err := c.sc.Value(nil)
	if err != nil {
		return c.ioErr(err)
	}
	if err := c.sc.Expect(','); err != nil {
		return c.ioErr(err)
	}
	switch string(st) {
	case "0":
		return nil
	case "1", "2":
		msg, err := c.sc.Value(nil)
		if err != nil {
			return c.ioErr(err)
		}
		if err := c.end(); err != nil {
			return err
		}
		status := protocol.StatusRefused
		if st[0] == '2' {
			status = protocol.StatusFailed
		}
		var text string
		if json.Unmarshal(msg, &text) != nil {
			text = string(msg)
		}
		return &client.Error{Status: status, Message: text}
	}
	return c.ioErr(fmt.Errorf("%w: status %s", errBadJSON, st))
}

// end reads the "]" that closes an answer.
func (c *rawConn) end() error { return c.ioErr(c.sc.Expect(']')) }

// result reads a whole answer and appends its value to dst.
func (c *rawConn) result(dst []byte) ([]byte, error) {
	if err := c.begin(); err != nil {
		return dst, err
	}
	dst, err := c.sc.Value(dst)
	if err != nil {
		return dst, c.ioErr(err)
	}
	return dst, c.end()
}

// query sends one request and returns the value of its answer.
func (c *rawConn) query(req []byte) (json.RawMessage, error) {
	if err := c.send(req); err != nil {
		return nil, err
	}
	if err := c.flush(); err != nil {
		return nil, err
	}
	return c.result(nil)
}

// drain reads and throws away one answer, whatever its status.
func (c *rawConn) drain() error {
	if err := c.begin(); err != nil {
		if _, ok := err.(*client.Error); ok {
			return nil
		}
		return err
	}
	if err := c.sc.Skip(); err != nil {
		return c.ioErr(err)
	}
	return c.end()
}

// ioErr turns an error of the exchange into the error the command returns:
// the ctx's error when it ended (the ctx watcher closed the connection),
// else a lost connection.
func (c *rawConn) ioErr(err error) error {
	if err == nil {
		return nil
	}
	if cerr := c.ctx.Err(); cerr != nil {
		return cerr
	}
	return &cliutil.UnreachableError{Addr: c.addr, Err: fmt.Errorf("%w: %w", client.ErrUnknownOutcome, err)}
}
