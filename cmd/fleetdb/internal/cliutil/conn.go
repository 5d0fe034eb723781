package cliutil

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/spf13/cobra"
)

// Environment variables read by the admin commands.
const (
	EnvAddr     = "FLEETDB_ADDR"     // host:port, when --host and --port are not given
	EnvPassword = "FLEETDB_PASSWORD" // when --password is not given
	EnvTLSCA    = "FLEETDB_TLS_CA"   // when --tls-ca is not given
)

// Defaults of the connection flags: where `fleetdb serve` listens by
// default.
const (
	defaultHost = "127.0.0.1"
	defaultPort = 3400
)

// ConnFlags are the flags with which every admin command finds its server.
// Each command registers its own copy (register), so nothing is shared
// between command trees.
type ConnFlags struct {
	host           string
	port           int
	password       string
	ConnectTimeout time.Duration

	// TLS (docs/protocol.md): any of these, or FLEETDB_TLS_CA, turns it on.
	tls           bool
	tlsCA         string
	tlsCert       string
	tlsKey        string
	tlsServerName string

	cmd *cobra.Command // the command the flags belong to (for Changed)
}

// ConnHelp is appended to the Long help of every admin command.
const ConnHelp = `
The server is --host and --port (default 127.0.0.1:3400), or FLEETDB_ADDR
(host:port) when neither flag is given; the password is --password or
FLEETDB_PASSWORD. A server started with --tls-cert is reached with --tls
(the system's roots), --tls-ca FILE (or FLEETDB_TLS_CA), a client
certificate with --tls-cert and --tls-key, and --tls-server-name when the
address is not the name in the server's certificate. Exit status: 0 ok, 1 failure, 2 usage error, 3 the server
refused a query (do not retry it unchanged), 4 the server could not carry it
out (it may be retried), 5 the server could not be reached.`

// Register adds the connection flags to cmd.
func (c *ConnFlags) Register(cmd *cobra.Command) {
	c.cmd = cmd
	f := cmd.Flags()
	f.StringVar(&c.host, "host", defaultHost, "server host (or "+EnvAddr+"=host:port)")
	f.IntVarP(&c.port, "port", "p", defaultPort, "server port")
	f.StringVar(&c.password, "password", "", "password of a server started with -x (or "+EnvPassword+")")
	f.DurationVar(&c.ConnectTimeout, "connect-timeout", 5*time.Second, "time allowed to connect and authenticate")
	f.BoolVar(&c.tls, "tls", false, "connect with TLS, verifying the server against the system's roots")
	f.StringVar(&c.tlsCA, "tls-ca", "", "connect with TLS, verifying the server against this CA (PEM; or "+EnvTLSCA+")")
	f.StringVar(&c.tlsCert, "tls-cert", "", "TLS client certificate (PEM), with --tls-key")
	f.StringVar(&c.tlsKey, "tls-key", "", "key of the TLS client certificate (PEM)")
	f.StringVar(&c.tlsServerName, "tls-server-name", "", "name to check the server's certificate against (default: the host)")
}

// TLSConfig returns the TLS configuration the flags ask for, or nil for a
// plaintext connection.
func (c *ConnFlags) TLSConfig() (*tls.Config, error) {
	ca := c.tlsCA
	if ca == "" {
		ca = os.Getenv(EnvTLSCA)
	}
	if !c.tls && ca == "" && c.tlsCert == "" && c.tlsKey == "" && c.tlsServerName == "" {
		return nil, nil
	}
	cfg, err := client.LoadTLS(ca, c.tlsCert, c.tlsKey, c.tlsServerName)
	if err != nil {
		return nil, Usagef(err)
	}
	return cfg, nil
}

// ClientOptions are the client options of the flags: password, connect
// timeout and TLS.
func (c *ConnFlags) ClientOptions() ([]client.Option, error) {
	opts := []client.Option{client.WithPassword(c.Secret()), client.WithDialTimeout(c.ConnectTimeout)}
	tc, err := c.TLSConfig()
	if err != nil {
		return nil, err
	}
	if tc != nil {
		opts = append(opts, client.WithTLS(tc))
	}
	return opts, nil
}

// Addr returns the server's address: the flags, over FLEETDB_ADDR, over the
// defaults. A flag given explicitly overrides its half of FLEETDB_ADDR.
func (c *ConnFlags) Addr() (string, error) {
	host, port := defaultHost, strconv.Itoa(defaultPort)
	if env, ok := os.LookupEnv(EnvAddr); ok && env != "" {
		h, p, err := net.SplitHostPort(env)
		if err != nil {
			return "", Usagef(fmt.Errorf("%s=%q: want host:port: %w", EnvAddr, env, err))
		}
		if h != "" {
			host = h
		}
		port = p
	}
	f := c.cmd.Flags()
	if f.Changed("host") {
		host = c.host
	}
	if f.Changed("port") {
		if c.port <= 0 || c.port > 65535 {
			return "", Usagef(fmt.Errorf("--port %d: not a TCP port", c.port))
		}
		port = strconv.Itoa(c.port)
	}
	return net.JoinHostPort(host, port), nil
}

// Secret returns the password: the flag, else FLEETDB_PASSWORD.
func (c *ConnFlags) Secret() string {
	if c.cmd.Flags().Changed("password") {
		return c.password
	}
	return os.Getenv(EnvPassword)
}

// Dial connects a client to the server and checks the password.
func (c *ConnFlags) Dial(ctx context.Context) (*client.Client, string, error) {
	return c.DialPool(ctx, 4)
}

// DialPool is Dial with a pool of n connections. The shell uses one, so
// that per-connection settings (set-read-consistency) hold for what it
// runs next.
func (c *ConnFlags) DialPool(ctx context.Context, n int) (*client.Client, string, error) {
	addr, err := c.Addr()
	if err != nil {
		return nil, "", err
	}
	opts, err := c.ClientOptions()
	if err != nil {
		return nil, addr, err
	}
	cl, err := client.Dial(ctx, addr, append(opts, client.WithPoolSize(n))...)
	if err != nil {
		return nil, addr, DialError(addr, err)
	}
	return cl, addr, nil
}

// DialStream connects a client.Stream to the server and checks the
// password: a connection of its own, for the commands that pipeline
// requests or read large answers piece by piece.
func (c *ConnFlags) DialStream(ctx context.Context) (*client.Stream, error) {
	addr, err := c.Addr()
	if err != nil {
		return nil, err
	}
	opts, err := c.ClientOptions()
	if err != nil {
		return nil, err
	}
	st, err := client.DialStream(ctx, addr, opts...)
	if err != nil {
		return nil, DialError(addr, err)
	}
	return st, nil
}

// DialAddr dials another server at addr with the same password and
// timeouts (cluster status asks the leader for its view this way).
func (c *ConnFlags) DialAddr(ctx context.Context, addr string) (*client.Client, error) {
	opts, err := c.ClientOptions()
	if err != nil {
		return nil, err
	}
	cl, err := client.Dial(ctx, addr, append(opts, client.WithPoolSize(1))...)
	if err != nil {
		return nil, DialError(addr, err)
	}
	return cl, nil
}

// DialError turns an error of Dial into one that says what went wrong and
// maps to the right exit status.
func DialError(addr string, err error) error {
	var ce *client.Error
	switch {
	case errors.Is(err, client.ErrAuth) && errors.As(err, &ce):
		// Status 1 (auth rejected / needed): exit status 3.
		return fmt.Errorf("%s: authentication failed (wrong or missing password; see --password and %s): %w", addr, EnvPassword, err)
	case errors.Is(err, client.ErrAuth):
		return fmt.Errorf("%s: authentication failed: %w", addr, err)
	case errors.Is(err, context.Canceled):
		return err
	}
	return &UnreachableError{Addr: addr, Err: err}
}
