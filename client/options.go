package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
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

// WithTLS makes every connection speak TLS with cfg (the server was started
// with --tls-cert/--tls-key). cfg.RootCAs nil verifies the server against
// the system's roots; set Certificates for a client certificate and
// ServerName when the address is not the certificate's name. LoadTLS
// builds cfg from PEM files. The handshake counts toward the dial timeout.
func WithTLS(cfg *tls.Config) Option {
	return func(c *config) {
		d := &tls.Dialer{Config: cfg}
		c.dial = d.DialContext
	}
}

// LoadTLS builds a client TLS configuration: caFile (empty: the system's
// roots) is the CA the server's certificate must chain to; certFile and
// keyFile (both or neither) are a client certificate; serverName, when not
// empty, replaces the host name the certificate is checked against.
func LoadTLS(caFile, certFile, keyFile, serverName string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("client: TLS CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("client: TLS CA: no PEM certificate in %s", caFile)
		}
		cfg.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, fmt.Errorf("client: a TLS client certificate needs both the certificate and its key")
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("client: TLS client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
