package server

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetdb-go/fleetdb/protocol"
)

// drainWindow is how long connections keep reading after Shutdown begins
// (idle ones) or after their query in flight finishes (busy ones), answering
// every request "shutting down", before they are closed. It lets requests
// already on their way get an answer instead of a reset.
const drainWindow = 100 * time.Millisecond

// Buffer sizes of a connection: they bound the memory of an idle
// connection (about 32 KiB plus its goroutine) while keeping a pipelined
// burst to a few system calls.
const (
	readBufferSize  = 16 << 10
	writeBufferSize = 16 << 10
)

// MsgTooManyConnections answers (status 2) a connection accepted beyond
// Config.MaxConns, which is then closed.
const MsgTooManyConnections = "too many connections"

// Server serves the FleetDB protocol on TCP listeners. Create it with New.
// See the package documentation for the life of a connection and the
// concurrency contract.
type Server struct {
	exec   Executor
	inline InlineExecutor // exec, if it implements InlineExecutor
	// reads is exec, if it implements ReadBatchExecutor (used with
	// inline only).
	reads ReadBatchExecutor
	async AsyncExecutor // exec, if it implements AsyncExecutor
	batch BatchExecutor // exec, if it implements BatchExecutor
	stats StatsSource   // exec, if it implements StatsSource
	cfg   Config        // with defaults
	log   *slog.Logger
	m     *Metrics // may be nil

	// password is the SHA-256 of Config.Password, compared in constant
	// time; hasPassword says whether one is required.
	password    [sha256.Size]byte
	hasPassword bool

	// pool recycles the buffered reader and writer of closed connections.
	pool sync.Pool

	// shutting is set once by Shutdown (under mu).
	shutting atomic.Bool
	// serving counts the Serve calls running, for Healthy.
	serving atomic.Int32
	// nconns counts the connections open, for MaxConns.
	nconns atomic.Int64

	// mu guards the fields below. A connection goroutine is added to wg
	// only under mu and while shutting is false, so that Shutdown's Wait
	// never races with an Add.
	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[connHandle]struct{}
	// loops are the event loops, started by the first Serve that uses
	// them (see eventLoops).
	loops    []*loop
	nextLoop int
	// numLoops is how many loops to start (0: goroutines only).
	numLoops int
	// loopNice is the nice value of the loops' threads (0: left alone).
	loopNice int
	addr     net.Addr
	wg       sync.WaitGroup
	// drainAt is when the connections idle at Shutdown are woken and
	// closed.
	drainAt time.Time
}

// New returns a Server that runs queries with exec. It fails if cfg is
// invalid or cfg.Metrics is already used by another Server.
func New(exec Executor, cfg Config) (*Server, error) {
	if exec == nil {
		return nil, fmt.Errorf("%w: nil Executor", ErrInvalidConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Server{
		exec:      exec,
		cfg:       cfg,
		log:       cfg.Logger,
		m:         cfg.Metrics,
		listeners: map[net.Listener]struct{}{},
		conns:     map[connHandle]struct{}{},
	}
	s.stats, _ = exec.(StatsSource)
	s.inline, _ = exec.(InlineExecutor)
	s.reads, _ = exec.(ReadBatchExecutor)
	s.async, _ = exec.(AsyncExecutor)
	s.batch, _ = exec.(BatchExecutor)
	s.numLoops = defaultLoops()
	s.loopNice = loopNice(cfg.LoopNice)
	if cfg.Password != "" {
		s.hasPassword = true
		s.password = sha256.Sum256([]byte(cfg.Password))
	}
	if s.m != nil {
		if err := s.m.adopt(s.stats); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ListenAndServe listens on Config.Addr and serves until ctx ends or
// Shutdown is called. When ctx ends it shuts down gracefully (see Shutdown)
// without a time limit, and returns once that is complete; call Shutdown
// with a deadline to bound it. It returns ErrServerClosed after a shutdown,
// or the error that stopped it.
func (s *Server) ListenAndServe(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	stopped := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		s.Shutdown(context.Background())
		close(stopped)
	})
	err = s.Serve(ln)
	if !stop() {
		<-stopped // ctx ended: return once the shutdown is complete
	}
	return err
}

// Serve accepts connections on ln and serves each on its own goroutine
// until Shutdown is called (it then returns ErrServerClosed) or ln fails
// for good. It closes ln before returning. Serve may run on several
// listeners at once.
func (s *Server) Serve(ln net.Listener) error {
	if s.cfg.TLS != nil {
		ln = tls.NewListener(ln, s.cfg.TLS)
	}
	if !s.trackListener(ln, true) {
		ln.Close()
		return ErrServerClosed
	}
	defer s.trackListener(ln, false)
	s.serving.Add(1)
	defer s.serving.Add(-1)
	s.log.Debug("server: serving", "addr", ln.Addr().String())

	loops := s.eventLoops(ln)
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.shutting.Load() {
				return ErrServerClosed
			}
			var te interface{ Temporary() bool }
			if errors.As(err, &te) && te.Temporary() {
				// Out of file descriptors and the like: wait, then retry.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("server: accept failed; retrying", "err", err, "in", backoff)
				time.Sleep(backoff)
				continue
			}
			ln.Close()
			return fmt.Errorf("server: accept: %w", err)
		}
		backoff = 0
		if len(loops) > 0 {
			s.acceptLoop(nc, loops)
		} else {
			s.accept(nc)
		}
	}
}

// trackListener adds or removes ln from the listeners Shutdown closes.
// Adding fails once Shutdown has begun.
func (s *Server) trackListener(ln net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.listeners, ln)
		return true
	}
	if s.shutting.Load() {
		return false
	}
	s.listeners[ln] = struct{}{}
	if s.addr == nil {
		s.addr = ln.Addr()
	}
	return true
}

// connHandle is a connection as Shutdown sees it.
type connHandle interface {
	// wake makes a connection waiting for input notice the shutdown by t.
	wake(t time.Time)
	// kill closes the connection by force and cancels its queries.
	kill()
}

// accept starts serving nc on a goroutine of its own, or turns it away
// when over MaxConns or shutting down.
func (s *Server) accept(nc net.Conn) {
	if s.nconns.Load() >= int64(s.cfg.MaxConns) {
		s.reject(nc)
		return
	}
	c := s.newConn(nc)
	s.mu.Lock()
	if s.shutting.Load() {
		s.mu.Unlock()
		c.release()
		nc.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.nconns.Add(1)
	s.wg.Add(1)
	s.mu.Unlock()
	if s.m != nil {
		s.m.accepted.Inc()
		s.m.conns.Inc()
	}
	go c.serve()
}

// reject answers a connection beyond MaxConns and closes it. It runs on the
// accept loop: the answer fits in a new socket's send buffer, and the write
// deadline bounds it anyway.
func (s *Server) reject(nc net.Conn) {
	var line []byte
	line = append(line, "[2,"...)
	line = protocol.AppendJSONString(line, MsgTooManyConnections)
	line = append(line, "]\r\n"...)
	nc.SetDeadline(time.Now().Add(time.Second)) // a TLS handshake reads too
	nc.Write(line)
	nc.Close()
	if s.m != nil {
		s.m.rejected.Inc()
	}
	s.log.Warn("server: too many connections; one turned away", "remote", nc.RemoteAddr().String(), "max", s.cfg.MaxConns)
}

// forget removes a closed connection.
func (s *Server) forget(c connHandle) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.nconns.Add(-1)
	if s.m != nil {
		s.m.conns.Dec()
	}
}

// Addr returns the address of the first listener Serve was given (with the
// port the system chose for ":0"), or nil before that.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Shutdown stops the server gracefully: it closes the listeners, lets the
// queries in flight finish and answer, answers the requests that arrive
// meanwhile [2,"shutting down"], closes every connection after a short drain
// window (idle ones too), and returns when all connection goroutines have
// exited. If ctx ends first it closes the remaining connections by force,
// cancels the ctx of their queries and returns ctx.Err(); their goroutines
// exit as soon as the Executor returns. Later calls wait the same way.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.shutting.Load() {
		s.drainAt = time.Now().Add(drainWindow)
		s.shutting.Store(true)
		s.log.Info("server: shutting down", "connections", len(s.conns))
	}
	var errs []error
	for ln := range s.listeners {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	for c := range s.conns {
		c.wake(s.drainAt)
	}
	for _, l := range s.loops {
		l.wakeUp()
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return errors.Join(errs...)
	case <-ctx.Done():
	}
	s.mu.Lock()
	n := len(s.conns)
	for c := range s.conns {
		c.kill()
	}
	s.mu.Unlock()
	s.log.Warn("server: shutdown deadline passed; connections closed by force", "connections", n)
	return ctx.Err()
}

// Healthy returns nil while the server is serving at least one listener,
// is not shutting down, and its Executor (if a StatsSource) does not report
// StatLogFailed, nor StatReady 0. Otherwise it says why.
func (s *Server) Healthy() error {
	if s.shutting.Load() {
		return fmt.Errorf("%w: shutting down", ErrNotServing)
	}
	if s.serving.Load() == 0 {
		return ErrNotServing
	}
	if s.stats != nil {
		m := s.stats.MetricsSnapshot()
		if m[StatLogFailed] != 0 {
			return fmt.Errorf("%w: the log failed; writes are refused", ErrUnhealthy)
		}
		if ready, ok := m[StatReady]; ok && ready == 0 {
			return fmt.Errorf("%w: not ready: catching up with the cluster", ErrUnhealthy)
		}
	}
	return nil
}
