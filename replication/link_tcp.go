package replication

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// mux shares the node's one TCP port between raft's transport and the
// forwarding protocol: a connection that starts with fwdMagic is served
// here, any other is handed to raft (with its first byte put back).
//
// It owns the listener and a goroutine per forwarding connection and per
// request being handled; close stops and joins them all.
type mux struct {
	ln      net.Listener
	guard   *peerGuard
	handle  handler
	quick   quickHandler // may be nil
	log     *slog.Logger
	raftIn  chan net.Conn
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closeMu sync.Once

	// mu guards conns: the forwarding connections being served and every
	// raft connection the mux handed to raft's transport (accepted or
	// dialed), which close closes, since raft's transport leaves pooled and
	// idle connections open when it closes, and a peer's pipeline or
	// handler would then wait on them until a deadline.
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// track registers c to be closed by close; it returns false, closing c, if
// the mux is closed already.
func (m *mux) track(c net.Conn) bool {
	m.mu.Lock()
	open := m.ctx.Err() == nil
	if open {
		m.conns[c] = struct{}{}
	}
	m.mu.Unlock()
	if !open {
		c.Close() // outside mu: a raftConn's Close takes it
	}
	return open
}

func (m *mux) untrack(c net.Conn) {
	m.mu.Lock()
	delete(m.conns, c)
	m.mu.Unlock()
}

// raftConn is a raft connection the mux tracks until it is closed.
type raftConn struct {
	net.Conn
	m *mux
}

func (c *raftConn) Close() error {
	c.m.untrack(c)
	return c.Conn.Close()
}

func newMux(ln net.Listener, g *peerGuard, h handler, quick quickHandler, log *slog.Logger) *mux {
	ctx, cancel := context.WithCancel(context.Background())
	m := &mux{ln: ln, guard: g, handle: h, quick: quick, log: log, raftIn: make(chan net.Conn), ctx: ctx, cancel: cancel, conns: map[net.Conn]struct{}{}}
	m.wg.Add(1)
	go m.accept()
	return m
}

func (m *mux) accept() {
	defer m.wg.Done()
	for {
		c, err := m.ln.Accept()
		if err != nil {
			if m.ctx.Err() != nil {
				return
			}
			m.log.Warn("replication: accept", "err", err)
			select {
			case <-time.After(20 * time.Millisecond):
				continue
			case <-m.ctx.Done():
				return
			}
		}
		m.wg.Add(1)
		go m.route(c)
	}
}

// route authenticates a connection (peerGuard), reads its first byte and
// passes it on.
func (m *mux) route(c net.Conn) {
	defer m.wg.Done()
	ac, err := m.guard.accept(c)
	if err != nil {
		m.log.Warn("replication: refused a peer connection", "remote", c.RemoteAddr().String(), "err", err)
		c.Close()
		return
	}
	c = ac
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		c.Close()
		return
	}
	c.SetReadDeadline(time.Time{})
	if b[0] == fwdMagic {
		m.serve(c)
		return
	}
	rc := &raftConn{Conn: &prefixConn{Conn: c, prefix: b[:]}, m: m}
	if !m.track(rc) {
		return
	}
	select {
	case m.raftIn <- rc:
	case <-m.ctx.Done():
		rc.Close()
	}
}

// serve answers the forwarding requests of one connection: those that
// m.quick answers at once on the connection's goroutine (a confirmation,
// most read indexes: a goroutine each was a fifth of a follower's
// forwarding cost), the others each on its own goroutine, so a slow write
// does not hold up a read index. Answers written here are flushed once
// no whole request waits in the read buffer.
func (m *mux) serve(c net.Conn) {
	if !m.track(c) {
		return
	}
	ctx, cancel := context.WithCancel(m.ctx)
	var (
		reqs sync.WaitGroup
		wmu  sync.Mutex // guards w
		w    = bufio.NewWriter(c)
	)
	defer func() {
		cancel()
		c.Close()
		reqs.Wait()
		m.untrack(c)
	}()
	r := bufio.NewReader(c)
	if v, err := r.ReadByte(); err != nil || v != fwdVersion {
		return
	}
	for {
		id, op, payload, err := readFrame(r)
		if err != nil {
			return
		}
		if m.quick != nil {
			if status, answer, ok := m.quick(op, payload); ok {
				wmu.Lock()
				err := writeFrame(w, id, status, answer)
				if err == nil && !frameBuffered(r) {
					err = w.Flush()
				}
				wmu.Unlock()
				if err != nil {
					return
				}
				continue
			}
		}
		reqs.Add(1)
		go func() {
			defer reqs.Done()
			status, answer := m.handle(ctx, op, payload)
			wmu.Lock()
			defer wmu.Unlock()
			if writeFrame(w, id, status, answer) != nil || w.Flush() != nil {
				c.Close() // the reader sees it and ends the connection
			}
		}()
	}
}

func (m *mux) close() {
	m.closeMu.Do(func() {
		m.mu.Lock()
		m.cancel() // track refuses new connections from here on
		conns := make([]net.Conn, 0, len(m.conns))
		for c := range m.conns {
			conns = append(conns, c)
		}
		m.mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
		m.ln.Close()
		m.wg.Wait()
	})
}

// raftLayer is the mux as raft's StreamLayer.
type raftLayer struct{ m *mux }

var _ raft.StreamLayer = raftLayer{}

func (l raftLayer) Accept() (net.Conn, error) {
	select {
	case c := <-l.m.raftIn:
		return c, nil
	case <-l.m.ctx.Done():
		return nil, net.ErrClosed
	}
}

// Close stops the whole mux: raft closes its stream layer when its
// transport is closed, which happens when the node shuts down.
func (l raftLayer) Close() error { l.m.close(); return nil }

func (l raftLayer) Addr() net.Addr { return l.m.ln.Addr() }

func (l raftLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", string(addr), timeout)
	if err != nil {
		return nil, err
	}
	ac, err := l.m.guard.dial(c, timeout)
	if err != nil {
		c.Close()
		return nil, err
	}
	rc := &raftConn{Conn: ac, m: l.m}
	if !l.m.track(rc) {
		return nil, net.ErrClosed
	}
	return rc, nil
}

// prefixConn is a connection whose first bytes were already read.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// tcpLink is the client side of forwarding over TCP: one multiplexed
// connection per member, requests tagged with ids, answers matched by a
// reader goroutine per connection.
type tcpLink struct {
	dialTimeout time.Duration
	guard       *peerGuard

	// mu guards peers and closed.
	mu     sync.Mutex
	peers  map[string]*peerConn
	closed bool
	wg     sync.WaitGroup // the reader goroutines
}

func newTCPLink(dialTimeout time.Duration, g *peerGuard) *tcpLink {
	return &tcpLink{dialTimeout: dialTimeout, guard: g, peers: map[string]*peerConn{}}
}

// peerConn is one forwarding connection.
type peerConn struct {
	nc net.Conn

	wmu sync.Mutex // guards w
	w   *bufio.Writer

	// mu guards the fields below.
	mu      sync.Mutex
	nextID  uint64
	pending map[uint64]*waiter
	dead    error
	// reaper fails the requests of start that got no answer in time; it
	// runs at reapAt (zero: not armed). See link_async.go.
	reaper *time.Timer
	reapAt time.Time
}

type answer struct {
	status byte
	data   []byte
}

func (l *tcpLink) conn(ctx context.Context, addr string) (*peerConn, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, fmt.Errorf("%w: %w", errNotSent, ErrClosed)
	}
	if pc := l.peers[addr]; pc != nil {
		l.mu.Unlock()
		return pc, nil
	}
	l.mu.Unlock()
	d := net.Dialer{Timeout: l.dialTimeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errNotSent, err)
	}
	if ac, err := l.guard.dial(nc, l.dialTimeout); err != nil {
		nc.Close()
		return nil, fmt.Errorf("%w: %w", errNotSent, err)
	} else {
		nc = ac
	}
	if _, err := nc.Write([]byte{fwdMagic, fwdVersion}); err != nil {
		nc.Close()
		return nil, fmt.Errorf("%w: %w", errNotSent, err)
	}
	pc := &peerConn{nc: nc, w: bufio.NewWriter(nc), pending: map[uint64]*waiter{}}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		nc.Close()
		return nil, fmt.Errorf("%w: %w", errNotSent, ErrClosed)
	}
	if other := l.peers[addr]; other != nil {
		nc.Close() // another caller dialed first
		return other, nil
	}
	l.peers[addr] = pc
	l.wg.Add(1)
	go l.read(addr, pc)
	return pc, nil
}

// read dispatches answers until the connection fails, then fails every
// request still waiting and forgets the connection.
func (l *tcpLink) read(addr string, pc *peerConn) {
	defer l.wg.Done()
	r := bufio.NewReader(pc.nc)
	var err error
	for {
		var (
			id     uint64
			status byte
			data   []byte
		)
		id, status, data, err = readFrame(r)
		if err != nil {
			break
		}
		pc.mu.Lock()
		w := pc.pending[id]
		delete(pc.pending, id)
		pc.mu.Unlock()
		if w != nil {
			w.deliver(answer{status, data}, nil)
		}
	}
	pc.nc.Close()
	l.mu.Lock()
	if l.peers[addr] == pc {
		delete(l.peers, addr)
	}
	l.mu.Unlock()
	pc.mu.Lock()
	pc.dead = fmt.Errorf("%w: connection to %s: %w", errLost, addr, err)
	var failed []*waiter
	for id, w := range pc.pending {
		delete(pc.pending, id)
		failed = append(failed, w)
	}
	dead := pc.dead
	pc.mu.Unlock()
	for _, w := range failed {
		w.deliver(answer{}, dead)
	}
}

func (l *tcpLink) call(ctx context.Context, addr string, op byte, payload []byte) (byte, []byte, error) {
	pc, err := l.conn(ctx, addr)
	if err != nil {
		return 0, nil, err
	}
	ch := make(chan answer, 1)
	pc.mu.Lock()
	if pc.dead != nil {
		err := pc.dead
		pc.mu.Unlock()
		return 0, nil, fmt.Errorf("%w: %w", errNotSent, err)
	}
	pc.nextID++
	id := pc.nextID
	pc.pending[id] = &waiter{ch: ch}
	pc.mu.Unlock()

	pc.wmu.Lock()
	if dl, ok := ctx.Deadline(); ok {
		pc.nc.SetWriteDeadline(dl)
	} else {
		pc.nc.SetWriteDeadline(time.Time{})
	}
	err = writeFrame(pc.w, id, op, payload)
	if err == nil {
		err = pc.w.Flush()
	}
	pc.wmu.Unlock()
	if err != nil {
		// The frame is incomplete on the wire, so the member drops it with
		// the connection: nothing was done.
		pc.nc.Close()
		pc.mu.Lock()
		delete(pc.pending, id)
		pc.mu.Unlock()
		return 0, nil, fmt.Errorf("%w: %w", errNotSent, err)
	}
	select {
	case a, ok := <-ch:
		if !ok {
			pc.mu.Lock()
			err := pc.dead
			pc.mu.Unlock()
			return 0, nil, err
		}
		return a.status, a.data, nil
	case <-ctx.Done():
		pc.mu.Lock()
		delete(pc.pending, id)
		pc.mu.Unlock()
		return 0, nil, fmt.Errorf("%w: %w", errLost, ctx.Err())
	}
}

func (l *tcpLink) close() error {
	l.mu.Lock()
	l.closed = true
	for _, pc := range l.peers {
		pc.nc.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
	return nil
}

// isTimeout reports whether err is a network timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
