package client

import (
	"context"
	"fmt"
	"net"
	"time"
)

// Defaults for the options.
const (
	// DefaultPoolSize is the most connections a Client opens to its server.
	DefaultPoolSize = 8
	// DefaultDialTimeout bounds opening and authenticating one connection.
	DefaultDialTimeout = 10 * time.Second
	// DefaultMaxResponseBytes is the longest response line accepted.
	DefaultMaxResponseBytes = 256 << 20
)

// Option configures a Client in Dial.
type Option func(*config)

type config struct {
	password         string
	poolSize         int
	dialTimeout      time.Duration
	maxResponseBytes int
	dial             func(ctx context.Context, network, addr string) (net.Conn, error)
}

func defaultConfig() config {
	var d net.Dialer
	return config{
		poolSize:         DefaultPoolSize,
		dialTimeout:      DefaultDialTimeout,
		maxResponseBytes: DefaultMaxResponseBytes,
		dial:             d.DialContext,
	}
}

func (c *config) validate() error {
	if c.poolSize < 1 {
		return fmt.Errorf("client: pool size %d is less than 1", c.poolSize)
	}
	if c.maxResponseBytes < 1 {
		return fmt.Errorf("client: max response bytes %d is less than 1", c.maxResponseBytes)
	}
	if c.dial == nil {
		return fmt.Errorf("client: nil dialer")
	}
	return nil
}

// WithPassword makes every new connection authenticate with
// ["auth", password] before its first query. An empty password means no
// authentication (the default).
func WithPassword(password string) Option { return func(c *config) { c.password = password } }

// WithPoolSize sets the most connections the Client opens (default
// DefaultPoolSize). Queries beyond that many at once wait for a free
// connection. Must be at least 1.
func WithPoolSize(n int) Option { return func(c *config) { c.poolSize = n } }

// WithDialTimeout bounds the time to open and authenticate one connection
// (default DefaultDialTimeout), in addition to the ctx of the call that opens
// it. Zero or negative means no bound beyond that ctx.
func WithDialTimeout(d time.Duration) Option { return func(c *config) { c.dialTimeout = d } }

// WithMaxResponseBytes bounds the length of one response line (default
// DefaultMaxResponseBytes). A longer answer is skipped and its query fails
// with an error wrapping ErrResponseTooLarge. Must be at least 1.
func WithMaxResponseBytes(n int) Option { return func(c *config) { c.maxResponseBytes = n } }

// WithDialer replaces the function that opens connections (default a
// net.Dialer's DialContext), e.g. for TLS, a proxy or tests. It is called
// with network "tcp" and the address given to Dial.
func WithDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(c *config) { c.dial = dial }
}
