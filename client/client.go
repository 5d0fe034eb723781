package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/fleetdb-go/fleetdb/protocol"
)

// Client is a pool of connections to one FleetDB server. It is safe for
// concurrent use by any number of goroutines; each call takes a connection
// for its exchange (opening one if none is idle and the pool is not full,
// waiting otherwise) and gives it back afterwards. A Client starts no
// goroutine of its own; Pipeline runs one writer goroutine for the duration
// of the call.
//
// A Client never retries: see ErrOutcomeUnknown.
type Client struct {
	addr string
	cfg  config
	// slots holds a token for each connection taken from the pool; its
	// capacity is the pool size, which bounds the connections open.
	slots chan struct{}
	// done is closed by Close, waking the calls waiting for a slot.
	done chan struct{}

	// mu guards idle and closed.
	mu sync.Mutex
	// idle holds the open connections not in use, the most recently used
	// last.
	idle   []*conn
	closed bool
}

// Dial returns a Client for the server at addr ("host:port"). It opens and,
// with WithPassword, authenticates one connection before returning, so that
// an unreachable server or a wrong password fails here; the pool opens more
// connections as concurrent calls need them. ctx bounds that first
// connection only.
func Dial(ctx context.Context, addr string, opts ...Option) (*Client, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		opt(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Client{
		addr:  addr,
		cfg:   cfg,
		slots: make(chan struct{}, cfg.poolSize),
		done:  make(chan struct{}),
	}
	cn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	c.idle = append(c.idle, cn)
	return c, nil
}

// Close closes the idle connections and makes later calls fail with
// ErrClosed. Calls in progress are not interrupted: they finish, and their
// connections are closed when they are given back. Close is idempotent.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	idle := c.idle
	c.idle = nil
	close(c.done)
	c.mu.Unlock()
	var errs []error
	for _, cn := range idle {
		if err := cn.nc.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Query sends q and returns the value of a status 0 answer. A status 1 or 2
// answer is returned as an *Error. q is marshaled with encoding/json (it is
// normally a []any such as []any{"select", "people", map[string]any{...}}),
// except that a json.RawMessage or []byte is sent as it is, which must be one
// line. The returned value is the caller's to keep.
//
// ctx bounds the whole call, including waiting for a connection: its
// deadline becomes the connection's, and its cancellation closes the
// connection if the call is blocked on it. An error after the query may have
// been sent wraps ErrOutcomeUnknown (and ctx.Err() when the ctx ended); the
// query is never resent.
func (c *Client) Query(ctx context.Context, q any) (json.RawMessage, error) {
	buf := getRequestBuf()
	defer putRequestBuf(buf)
	req, err := appendRequest((*buf)[:0], q)
	*buf = req
	if err != nil {
		return nil, err
	}
	return c.do(ctx, req)
}

// do runs one request line (terminator included) on a pooled connection.
func (c *Client) do(ctx context.Context, req []byte) (json.RawMessage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cn, err := c.get(ctx)
	if err != nil {
		return nil, err
	}
	status, value, err := cn.roundTrip(ctx, req)
	if err == nil && status != protocol.StatusOK {
		e := serverError(status, value)
		if e.closesConn() {
			cn.broken = true
		}
		value, err = nil, e
	}
	c.put(cn)
	return value, err
}

// get takes a connection from the pool: an idle one, or a new one if none is
// idle. It waits for a slot while the pool is full.
func (c *Client) get(ctx context.Context) (*conn, error) {
	select {
	case c.slots <- struct{}{}:
	case <-c.done:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, fmt.Errorf("client: waiting for a connection: %w", ctx.Err())
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.slots
		return nil, ErrClosed
	}
	if n := len(c.idle); n > 0 {
		cn := c.idle[n-1]
		c.idle[n-1] = nil
		c.idle = c.idle[:n-1]
		c.mu.Unlock()
		return cn, nil
	}
	c.mu.Unlock()
	cn, err := c.dial(ctx)
	if err != nil {
		<-c.slots
		return nil, err
	}
	return cn, nil
}

// put gives cn back to the pool, or closes it if it is broken or the Client
// is closed, and frees its slot.
func (c *Client) put(cn *conn) {
	c.mu.Lock()
	if cn.broken || c.closed {
		c.mu.Unlock()
		cn.nc.Close()
	} else {
		c.idle = append(c.idle, cn)
		c.mu.Unlock()
	}
	<-c.slots
}

// dial opens and authenticates a new connection within the dial timeout.
func (c *Client) dial(ctx context.Context) (*conn, error) {
	if c.cfg.dialTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.dialTimeout)
		defer cancel()
	}
	nc, err := c.cfg.dial(ctx, "tcp", c.addr)
	if err != nil {
		return nil, fmt.Errorf("client: dial %s: %w", c.addr, err)
	}
	cn := newConn(nc, c.cfg.maxResponseBytes)
	if c.cfg.password != "" {
		if err := cn.auth(ctx, c.cfg.password); err != nil {
			nc.Close()
			return nil, err
		}
	}
	return cn, nil
}
