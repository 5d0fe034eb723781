package cliutil

import (
	"context"
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

	cmd *cobra.Command // the command the flags belong to (for Changed)
}

// ConnHelp is appended to the Long help of every admin command.
const ConnHelp = `
The server is --host and --port (default 127.0.0.1:3400), or FLEETDB_ADDR
(host:port) when neither flag is given; the password is --password or
FLEETDB_PASSWORD. Exit status: 0 ok, 1 failure, 2 usage error, 3 the server
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
	cl, err := client.Dial(ctx, addr, client.WithPassword(c.Secret()),
		client.WithDialTimeout(c.ConnectTimeout), client.WithPoolSize(n))
	if err != nil {
		return nil, addr, DialError(addr, err)
	}
	return cl, addr, nil
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
