package replication

import (
	"fmt"
	"time"
)

// Requests over the forwarding link whose caller does not wait: the
// answer is handed to a callback on the link's reader goroutine, so that
// a read-index round through a follower wakes no goroutine of its own
// between the request and the reads it answers (roundsasync.go).

// waiter is a request waiting for its answer: call's channel, or start's
// callback and its deadline.
type waiter struct {
	ch       chan answer
	fn       func(status byte, data []byte, err error)
	deadline time.Time
}

// deliver hands the answer (or err: the connection failed) to the
// request's caller. The one who removed w from pending delivers, once.
func (w *waiter) deliver(a answer, err error) {
	if w.fn != nil {
		w.fn(a.status, a.data, err)
		return
	}
	if err != nil {
		close(w.ch)
		return
	}
	w.ch <- a
}

// start sends (op, payload) to the member at addr as call does, without
// waiting: fn gets what call would have returned, once, from the link's
// reader goroutine (or the connection's reaper, when no answer came
// within timeout). It reports false, having sent nothing and without
// calling fn, when no connection to addr is open (dialing would block) or
// writing the request failed: call then.
func (l *tcpLink) start(addr string, op byte, payload []byte, timeout time.Duration, fn func(status byte, data []byte, err error)) bool {
	l.mu.Lock()
	pc := l.peers[addr]
	if l.closed {
		pc = nil
	}
	l.mu.Unlock()
	if pc == nil {
		return false
	}
	w := &waiter{fn: fn, deadline: time.Now().Add(timeout)}
	pc.mu.Lock()
	if pc.dead != nil {
		pc.mu.Unlock()
		return false
	}
	pc.nextID++
	id := pc.nextID
	pc.pending[id] = w
	pc.armReaperLocked(addr, w.deadline)
	pc.mu.Unlock()

	pc.wmu.Lock()
	pc.nc.SetWriteDeadline(w.deadline)
	err := writeFrame(pc.w, id, op, payload)
	if err == nil {
		err = pc.w.Flush()
	}
	pc.wmu.Unlock()
	if err != nil {
		// As in call: the member drops the incomplete frame with the
		// connection, so nothing was done.
		pc.nc.Close()
		if pc.take(id, w) {
			return false
		}
		// The reader failed it first (fn called with the connection's
		// error): started, and answered.
	}
	return true
}

// take removes w, the request id, from pending: true if it was still
// there (the caller delivers its answer).
func (pc *peerConn) take(id uint64, w *waiter) bool {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.pending[id] != w {
		return false
	}
	delete(pc.pending, id)
	return true
}

// armReaperLocked makes sure the connection's reaper runs by deadline. One
// timer per connection, not one per request: time.AfterFunc per request
// was 30 % of a follower's cost of sending a read-index request. pc.mu
// must be held.
func (pc *peerConn) armReaperLocked(addr string, deadline time.Time) {
	if !pc.reapAt.IsZero() && !deadline.Before(pc.reapAt) {
		return
	}
	pc.reapAt = deadline
	d := time.Until(deadline)
	if pc.reaper == nil {
		pc.reaper = time.AfterFunc(d, func() { pc.reap(addr) })
		return
	}
	pc.reaper.Reset(d)
}

// reap fails the requests of start whose deadline passed (errLost) and
// arms the reaper again for the earliest of the others.
func (pc *peerConn) reap(addr string) {
	now := time.Now()
	var expired []*waiter
	pc.mu.Lock()
	pc.reapAt = time.Time{}
	var next time.Time
	for id, w := range pc.pending {
		if w.fn == nil {
			continue
		}
		if !w.deadline.After(now) {
			delete(pc.pending, id)
			expired = append(expired, w)
		} else if next.IsZero() || w.deadline.Before(next) {
			next = w.deadline
		}
	}
	if !next.IsZero() {
		pc.armReaperLocked(addr, next)
	}
	pc.mu.Unlock()
	for _, w := range expired {
		w.fn(0, nil, fmt.Errorf("%w: no answer from %s in time", errLost, addr))
	}
}
