//go:build linux

package server

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/fleetdb-go/fleetdb/protocol"
)

// loopsSupported: event loops serve plain TCP connections on Linux.
const loopsSupported = true

// Sizes of a loop's shared buffers. Every connection of a loop reads into
// the same buffer and builds its answers in the same buffer; a connection
// keeps bytes of its own only for a partial line, the lines queued behind a
// query in flight, or answers the network did not take yet.
const (
	loopReadBufferSize = 64 << 10
	// loopFlushBytes: answers are written out once this many are built,
	// even while more pipelined input waits.
	loopFlushBytes = 64 << 10
	// loopMaxReads bounds the reads one connection gets per turn, so that
	// a client that never stops sending does not starve the others.
	loopMaxReads  = 8
	loopMaxEvents = 256
)

// epoll event bits (the syscall package has them as int constants).
const (
	evIn    = uint32(syscall.EPOLLIN)
	evOut   = uint32(syscall.EPOLLOUT)
	evRdHup = uint32(syscall.EPOLLRDHUP)
	evHup   = uint32(syscall.EPOLLHUP)
	evErr   = uint32(syscall.EPOLLERR)
	evET    = uint32(1) << 31 // EPOLLET, negative as an int constant
)

// loop is one event loop: an epoll set of connections served by one
// goroutine, which reads whatever each ready connection holds, answers
// every complete line it can answer at once (reads through
// InlineExecutor), hands the others to a goroutine of their own, and writes
// all of a connection's answers with one system call.
//
// The loop goroutine blocks in epoll_wait itself, as a system call, with
// the earliest deadline (read, idle, write, drain) as its timeout. Its epoll
// descriptor is not registered with Go's network poller: nested there, every
// request arriving while the loop is busy (in a commit's fsync, say) would
// wake an idle thread of the runtime for nothing.
type loop struct {
	srv  *Server
	epfd int
	// evfd is an eventfd in the epoll set that other goroutines write to
	// wake the loop: a new connection, a query done, Shutdown.
	evfd int

	events []syscall.EpollEvent
	byFD   []*lconn
	nconns int
	buf    []byte // read buffer, shared
	out    []byte // answer buffer, lent to the connection being served
	now    time.Time
	// again are connections with work left after their turn (input not
	// drained): they get another turn without waiting for an event.
	again []*lconn
	// held are the connections whose answers wait for the flush at the
	// end of the turn (lconn.hold), each in a buffer from spares.
	held   []*lconn
	spares [][]byte
	// lines is lconn.batchReads' array of a connection's lines
	// (capacity loopBatchLines).
	lines    [][]byte
	lineEnds []int // where each of lines ends in the connection's input
	// batch gathers the writes of the turn (nil without a BatchExecutor);
	// batched counts them. Committed at the end of the turn.
	batch   QueryBatch
	batched int
	// wait_ is the loop's way of waiting (loopwait_linux.go).
	wait_ loopWait
	// thread_ is whether the loop keeps its thread (loopthread_linux.go).
	thread_ loopThread
	// nextScan is when the deadlines are checked next (zero: never).
	nextScan time.Time

	// assigned counts the connections given to the loop and not yet
	// closed; the loop exits once shutting down with none left.
	assigned atomic.Int64
	// pendingWake coalesces wake-ups: set by the first waker, cleared by
	// the loop before it looks at incoming and done.
	pendingWake atomic.Bool

	// mu guards the fields below, written by other goroutines.
	mu       sync.Mutex
	incoming []*lconn
	done     []*lconn
	closed   bool
	// spare is the done list the loop last emptied, swapped in by
	// takeDone so that completions do not allocate (the loop's own).
	spare []*lconn
}

func newLoop(s *Server) (*loop, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("server: epoll_create1: %w", err)
	}
	r1, _, e := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if e != 0 {
		syscall.Close(epfd)
		return nil, fmt.Errorf("server: eventfd: %w", e)
	}
	evfd := int(r1)
	ev := syscall.EpollEvent{Events: evIn | evET, Fd: int32(evfd)}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		syscall.Close(epfd)
		syscall.Close(evfd)
		return nil, fmt.Errorf("server: epoll_ctl: %w", err)
	}
	l := &loop{
		srv:      s,
		epfd:     epfd,
		evfd:     evfd,
		events:   make([]syscall.EpollEvent, loopMaxEvents),
		buf:      make([]byte, loopReadBufferSize),
		lines:    make([][]byte, 0, loopBatchLines),
		lineEnds: make([]int, 0, loopBatchLines),
	}
	if s.batch != nil {
		l.batch = s.batch.NewQueryBatch()
	}
	return l, nil
}

// wakeUp makes the loop look at its incoming and done lists (and at the
// shutdown flag) soon. Safe from any goroutine.
func (l *loop) wakeUp() {
	if l.pendingWake.Swap(true) {
		return
	}
	l.mu.Lock()
	if !l.closed {
		one := uint64(1)
		syscall.Write(l.evfd, (*[8]byte)(unsafe.Pointer(&one))[:])
	}
	l.mu.Unlock()
}

// adopt hands a new connection to the loop.
func (l *loop) adopt(c *lconn) {
	l.mu.Lock()
	l.incoming = append(l.incoming, c)
	l.mu.Unlock()
	l.wakeUp()
}

// complete hands back a connection whose query, run on a goroutine, is
// done.
func (l *loop) complete(c *lconn) {
	l.mu.Lock()
	l.done = append(l.done, c)
	l.mu.Unlock()
	l.wakeUp()
}

// run is the loop's goroutine.
func (l *loop) run() {
	s := l.srv
	defer s.wg.Done()
	defer l.close()
	l.takeThread()
	defer l.leaveThread()
	for {
		n, err := l.wait()
		if err != nil {
			// The epoll descriptor failed: nothing can be served any more.
			s.log.Error("server: event loop failed; its connections are closed", "err", err)
			l.closeAll()
			return
		}
		l.now = time.Now()
		l.maybeYield()
		woken := false
		for i := range n {
			ev := &l.events[i]
			fd := int(ev.Fd)
			if fd == l.evfd {
				woken = true
				continue
			}
			if fd < len(l.byFD) {
				if c := l.byFD[fd]; c != nil {
					c.event(ev.Events)
				}
			}
		}
		if again := l.again; len(again) > 0 {
			l.again = nil
			for _, c := range again {
				c.queued = false
				c.run()
			}
			clear(again)
			if l.again == nil {
				l.again = again[:0]
			}
		}
		if woken || l.pendingWake.Load() {
			if woken {
				var b [8]byte
				syscall.Read(l.evfd, b[:])
			}
			l.pendingWake.Store(false)
			l.takeWork()
		}
		if !l.nextScan.IsZero() && !l.now.Before(l.nextScan) {
			l.scan()
		}
		l.flush()
		if l.batched > 0 {
			l.commit()
			l.flush()
		}
		if s.shutting.Load() && l.assigned.Load() == 0 && l.finished() {
			return
		}
	}
}

// flush writes the answers the turn held back, one write per connection,
// as Redis's loop does before it waits again. Written during the turn, as
// each connection was served, every answer woke its client while the loop
// still had connections to serve: on two cores shared with the clients the
// woken client took the loop's core (gets, A/B pairs on a quiet machine:
// 17-21 % of the machine idle, against 14-16 % flushing at the end, and
// 5-10 % more gets in the same time).
func (l *loop) flush() {
	// A connection run again here (to close) may be held anew: the list
	// is read to its end as it grows.
	for i := 0; i < len(l.held); i++ {
		c := l.held[i]
		c.held = false
		if c.closed || len(c.out) == c.outOff {
			continue
		}
		if !c.send() {
			l.schedule(c.deadline()) // the write deadline, or closed
			continue
		}
		if c.eof || c.lingering {
			c.run() // it waited for its answers to close
		} else {
			// Held, its deadline was none (answers to send) when its
			// turn ended: now it is the idle or drain deadline.
			l.schedule(c.deadline())
		}
		if !c.lent && len(c.out) == 0 && cap(c.out) <= maxSpareBytes && len(l.spares) < maxSpares {
			l.spares = append(l.spares, c.out)
			c.out = nil
		}
	}
	clear(l.held)
	l.held = l.held[:0]
}

// Bounds of the buffers kept for held answers (loop.spares).
const (
	maxSpareBytes = 16 << 10
	maxSpares     = 1024
)

// spareBuf returns an empty buffer for a connection's held answers.
func (l *loop) spareBuf() []byte {
	if n := len(l.spares); n > 0 {
		b := l.spares[n-1]
		l.spares[n-1] = nil
		l.spares = l.spares[:n-1]
		return b[:0]
	}
	return nil
}

// finished reports, under the server's lock, whether the loop may exit: it
// is shutting down and has no connection left, so none can be given to it.
func (l *loop) finished() bool {
	s := l.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	return l.assigned.Load() == 0
}

// takeWork does what other goroutines asked the loop to do: adopt new
// connections, answer finished queries, start draining at Shutdown.
func (l *loop) takeWork() {
	l.takeIncoming()
	l.takeDone()
	if l.srv.shutting.Load() {
		l.startDrain()
	}
}

// commit starts the writes of the turn together. When the Executor commits
// them on this goroutine their answers come back through complete before
// Commit returns: pendingWake is held set meanwhile so that they do not
// write the eventfd, and they are answered here. Writes the connections
// answered here start (pipelined lines) go into the next turn's batch; the
// next wait does not block for them.
func (l *loop) commit() {
	l.batched = 0
	l.pendingWake.Store(true)
	l.batch.Commit()
	l.now = time.Now()
	l.pendingWake.Store(false)
	l.takeWork()
}

// takeIncoming registers the connections accepted for the loop.
func (l *loop) takeIncoming() {
	l.mu.Lock()
	in := l.incoming
	l.incoming = nil
	l.mu.Unlock()
	for _, c := range in {
		ev := syscall.EpollEvent{Events: evIn | evOut | evRdHup | evET, Fd: int32(c.fd)}
		if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, c.fd, &ev); err != nil {
			l.srv.log.Warn("server: epoll_ctl failed; connection closed", "remote", c.remote, "err", err)
			c.close()
			continue
		}
		for c.fd >= len(l.byFD) {
			l.byFD = append(l.byFD, nil)
		}
		l.byFD[c.fd] = c
		l.nconns++
		c.lastActive = l.now
		c.readable = true
		if l.srv.shutting.Load() {
			c.drainDeadline = l.srv.drainAt
		}
		c.run()
	}
}

// takeDone answers the queries that goroutines finished.
func (l *loop) takeDone() {
	l.mu.Lock()
	done := l.done
	l.done, l.spare = l.spare, nil
	l.mu.Unlock()
	for _, c := range done {
		c.busy = false
		c.hasResult = true
		c.run()
	}
	clear(done)
	l.spare = done[:0]
}

// startDrain sets the drain deadline of the connections idle at Shutdown;
// a busy one gets its own when its query ends.
func (l *loop) startDrain() {
	for _, c := range l.byFD {
		if c != nil && !c.busy && c.drainDeadline.IsZero() {
			c.drainDeadline = l.srv.drainAt
			l.schedule(c.drainDeadline)
		}
	}
}

// schedule makes sure the deadlines are checked by t.
func (l *loop) schedule(t time.Time) {
	if t.IsZero() || (!l.nextScan.IsZero() && !t.Before(l.nextScan)) {
		return
	}
	l.nextScan = t
}

// scan closes the connections whose deadline passed and schedules the next
// scan at the earliest deadline left.
func (l *loop) scan() {
	var next time.Time
	for _, c := range l.byFD {
		if c == nil {
			continue
		}
		d := c.deadline()
		if d.IsZero() {
			continue
		}
		if !l.now.Before(d) {
			c.expire()
			continue
		}
		if next.IsZero() || d.Before(next) {
			next = d
		}
	}
	l.nextScan = next
}

// closeAll closes every connection of a loop that cannot go on.
func (l *loop) closeAll() {
	if l.batched > 0 {
		// Their answers come back through l.done, as below.
		l.batched = 0
		l.batch.Commit()
	}
	for _, c := range l.byFD {
		if c != nil && !c.busy {
			c.close()
		}
	}
	// Busy ones are closed when their query ends, by whoever takes them;
	// the loop is gone, so wait for them here.
	for l.assigned.Load() > 0 {
		l.mu.Lock()
		done := l.done
		l.done = nil
		l.mu.Unlock()
		for _, c := range done {
			c.busy = false
			c.close()
		}
		time.Sleep(time.Millisecond)
	}
}

// close releases the loop's descriptors.
func (l *loop) close() {
	l.mu.Lock()
	l.closed = true
	syscall.Close(l.evfd)
	l.mu.Unlock()
	if l.wait_.file != nil {
		l.wait_.file.Close()
	}
	syscall.Close(l.epfd)
}

// acceptLoop hands nc to one of loops, or turns it away when over MaxConns
// or shutting down: the loop serves a duplicate of its
// descriptor, and nc itself is closed (which removes it from Go's poller).
func (s *Server) acceptLoop(nc net.Conn, loops []*loop) {
	if s.nconns.Load() >= int64(s.cfg.MaxConns) {
		s.reject(nc)
		return
	}
	fd, err := detachFD(nc)
	remote := nc.RemoteAddr()
	nc.Close()
	if err != nil {
		s.log.Warn("server: cannot take over a connection; closed", "remote", remote, "err", err)
		if fd >= 0 {
			syscall.Close(fd)
		}
		return
	}
	s.mu.Lock()
	if s.shutting.Load() {
		s.mu.Unlock()
		syscall.Close(fd)
		return
	}
	l := loops[s.nextLoop%len(loops)]
	s.nextLoop++
	c := &lconn{l: l, fd: fd}
	c.init(s, remote)
	c.split = protocol.NewSplitter(s.cfg.MaxRequestBytes)
	s.conns[c] = struct{}{}
	s.nconns.Add(1)
	s.wg.Add(1)
	l.assigned.Add(1)
	s.mu.Unlock()
	if s.m != nil {
		s.m.accepted.Inc()
		s.m.conns.Inc()
	}
	l.adopt(c)
}

// detachFD returns a non-blocking duplicate of nc's descriptor.
func detachFD(nc net.Conn) (int, error) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return -1, errors.New("not a syscall.Conn")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var derr error
	if err := rc.Control(func(f uintptr) {
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, f, syscall.F_DUPFD_CLOEXEC, 0)
		if e != 0 {
			derr = e
			return
		}
		fd = int(r)
	}); err != nil {
		return fd, err
	}
	if derr != nil {
		return fd, derr
	}
	return fd, syscall.SetNonblock(fd, true)
}
