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
// callback and its timer.
type waiter struct {
	ch    chan answer
	fn    func(status byte, data []byte, err error)
	timer *time.Timer
}

// deliver hands the answer (or err: the connection failed) to the
// request's caller. The one who removed w from pending delivers, once.
func (w *waiter) deliver(a answer, err error) {
	if w.fn != nil {
		w.timer.Stop()
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
// reader goroutine (or a timer's, when no answer came within timeout).
// It reports false, having sent nothing and without calling fn, when no
// connection to addr is open (dialing would block) or writing the request
// failed: call then.
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
	w := &waiter{fn: fn}
	pc.mu.Lock()
	if pc.dead != nil {
		pc.mu.Unlock()
		return false
	}
	pc.nextID++
	id := pc.nextID
	pc.pending[id] = w
	w.timer = time.AfterFunc(timeout, func() {
		if pc.take(id, w) {
			fn(0, nil, fmt.Errorf("%w: no answer from %s within %v", errLost, addr, timeout))
		}
	})
	pc.mu.Unlock()

	pc.wmu.Lock()
	pc.nc.SetWriteDeadline(time.Now().Add(timeout))
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
			w.timer.Stop()
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
