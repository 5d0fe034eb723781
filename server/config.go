package server

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/fleetdb-go/fleetdb/protocol"
)

// Defaults applied by New to the zero fields of Config.
const (
	// DefaultAddr is where ListenAndServe listens (docs/protocol.md).
	DefaultAddr = "127.0.0.1:3400"
	// DefaultMaxRequestBytes is the longest request line (16 MiB).
	DefaultMaxRequestBytes = protocol.DefaultMaxLineBytes
	// DefaultMaxConns is the most connections open at once.
	DefaultMaxConns = 10000
	// DefaultReadTimeout bounds the arrival of a request line once it began.
	DefaultReadTimeout = 30 * time.Second
	// DefaultWriteTimeout bounds a flush of answers that makes no progress.
	DefaultWriteTimeout = 30 * time.Second
)

// Config configures a Server. The zero value is valid: every zero field
// takes its default.
type Config struct {
	// Addr is the TCP address ListenAndServe listens on ("" means
	// DefaultAddr). Serve ignores it.
	Addr string
	// Password, when not empty, makes every connection authenticate with
	// ["auth", Password] as its first query (docs/protocol.md).
	Password string
	// TLS, when not nil, makes the server speak TLS only (1.2 or later) on
	// every listener Serve is given: a plaintext client gets no answer and
	// is closed after the failed handshake. Set ClientAuth and ClientCAs in
	// it to require client certificates (LoadTLS builds it from files).
	// TLS connections are served on goroutines, not on the epoll event
	// loops plaintext connections use on Linux.
	TLS *tls.Config
	// MaxRequestBytes is the longest request line, terminator excluded
	// (0: DefaultMaxRequestBytes). A longer line is answered
	// [1,"Request too large: …"] and skipped; the connection goes on.
	MaxRequestBytes int
	// MaxConns is the most connections open at once (0: DefaultMaxConns).
	// A connection beyond it is accepted, answered
	// [2,"too many connections"] and closed.
	MaxConns int
	// ReadTimeout is how long the rest of a request line may take to arrive
	// once its first byte has (0: DefaultReadTimeout).
	ReadTimeout time.Duration
	// IdleTimeout closes a connection that has had no request in progress
	// for this long (0: never).
	IdleTimeout time.Duration
	// WriteTimeout closes a connection whose answers cannot be written for
	// about this long (0: DefaultWriteTimeout).
	WriteTimeout time.Duration
	// Logger receives the server's log (nil: discarded). Connection events
	// are logged at debug level.
	Logger *slog.Logger
	// Metrics, when not nil, collects the server's Prometheus metrics (and
	// the Executor's, if it is a StatsSource). Serve them with HTTPHandler.
	Metrics *Metrics
	// LoopNice, when not 0, is the nice value (-20 to 19) of the event
	// loops' threads (Linux): each loop sets the nice value of its thread
	// and keeps its goroutine there for good (in Go's poller and with a
	// lone client too, where a loop without one lets its thread go), so
	// that clients on the same machine, woken by its answers, do not take
	// its processor while it has connections to serve (see "Event loop"
	// in the package doc). A
	// negative value needs CAP_SYS_NICE or RLIMIT_NICE; refused, it is
	// logged and the loops run at the process's priority. 0: the
	// FLEETDB_LOOP_NICE environment variable, else the process's priority.
	LoopNice int
}

// Validate reports a field out of range. Zero fields are valid (defaults).
func (c Config) Validate() error {
	if c.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			return fmt.Errorf("%w: Addr %q: %w", ErrInvalidConfig, c.Addr, err)
		}
	}
	switch {
	case c.MaxRequestBytes < 0:
		return fmt.Errorf("%w: MaxRequestBytes %d is negative", ErrInvalidConfig, c.MaxRequestBytes)
	case c.MaxConns < 0:
		return fmt.Errorf("%w: MaxConns %d is negative", ErrInvalidConfig, c.MaxConns)
	case c.ReadTimeout < 0:
		return fmt.Errorf("%w: ReadTimeout %v is negative", ErrInvalidConfig, c.ReadTimeout)
	case c.IdleTimeout < 0:
		return fmt.Errorf("%w: IdleTimeout %v is negative", ErrInvalidConfig, c.IdleTimeout)
	case c.WriteTimeout < 0:
		return fmt.Errorf("%w: WriteTimeout %v is negative", ErrInvalidConfig, c.WriteTimeout)
	case c.LoopNice < minNice || c.LoopNice > maxNice:
		return fmt.Errorf("%w: LoopNice %d is not a nice value (%d to %d)", ErrInvalidConfig, c.LoopNice, minNice, maxNice)
	}
	return nil
}

// withDefaults returns c with its zero fields set to the defaults.
func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.MaxRequestBytes == 0 {
		c.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
