package replication

import (
	"time"
)

// Read-index rounds without a goroutine (a follower's): the round's
// request is sent from the goroutine that starts it (a server's event
// loop, for the first reader when fewer than maxRounds run; else the
// goroutine that ended the previous round) and its answer ends it on the
// link's reader goroutine, which then starts the next round, if readers
// wait for one, and runs the reads of this one when this node has
// applied its index already (the usual case: else, and on an error,
// finishRound does on a goroutine of its own). Before, a round took a
// round goroutine's wake-up for the answer and a new goroutine for the
// reads.

// launch starts cur, a round counted in running, whose callers all joined
// it already.
func (r *rounds) launch(cur *round) {
	cur.start = time.Now()
	r.count.Add(1)
	if r.async(cur, func() { r.finished(cur) }) {
		return
	}
	if !r.n.goOwned(func() { r.runOne(cur); r.loop() }) {
		r.mu.Lock()
		r.running--
		next := r.next
		r.next = nil
		r.mu.Unlock()
		for _, c := range []*round{cur, next} {
			if c == nil {
				continue
			}
			c.err = ErrClosed
			close(c.done)
			for _, fn := range c.calls {
				fn(ErrClosed)
			}
		}
	}
}

// finished ends cur, started by launch, once its index and err are set:
// it starts the next round if callers wait for one, and answers cur's.
func (r *rounds) finished(cur *round) {
	close(cur.done)
	r.mu.Lock()
	next := r.next
	r.next = nil
	if next == nil {
		r.running--
	}
	r.mu.Unlock()
	if next != nil {
		r.launch(next)
	}
	if len(cur.calls) == 0 {
		return
	}
	if cur.err == nil && r.n.fsm.progress.index.Load() >= cur.index {
		for _, fn := range cur.calls {
			fn(nil)
		}
		return
	}
	if !r.n.goOwned(func() { r.n.finishRound(cur) }) {
		for _, fn := range cur.calls {
			fn(ErrClosed)
		}
	}
}

// followerRoundAsync is followerRound without waiting (rounds.async): it
// sends the request and ends cur when the answer arrives. False, having
// sent nothing, when no other leader is known or no connection to it is
// open.
func (n *Node) followerRoundAsync(cur *round, finish func()) bool {
	addr, id := n.raft.LeaderWithID()
	if id == "" || id == n.self {
		return false
	}
	return n.link.start(string(addr), opReadIndex, n.askPayload(), n.cfg.ApplyTimeout, func(status byte, answer []byte, err error) {
		switch {
		case err != nil:
			cur.err = err
		case status != stOK:
			cur.err = remoteError(status, answer)
		default:
			cur.index, cur.err = n.parseReadIndexAnswer(answer)
		}
		finish()
	})
}
