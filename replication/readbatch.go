package replication

import (
	"context"

	"github.com/fleetdb-go/fleetdb/query"
)

// A batch of read barriers (a server event loop's turn): StartReadBarriers
// joins all of them to the next read-index round at once and starts that
// round only then, instead of StartReadBarrier once per read, which
// started a round for the first reader of a turn (and a second one for
// the next reader, up to maxRounds) before the turn's other readers had
// arrived: a follower's rounds carried ~5 reads and every round costs a
// request and an answer over the forwarding link (a write, a read and a
// wake-up on each side), the wake-up of the goroutine that gets the
// answer and of the loop that sends the reads' answers, whatever the
// number of its readers.
//
// Linearizability is unchanged: every read of the batch began before the
// call, and joins a round that has not started yet (r.next), exactly as a
// read of StartReadBarrier that finds a round to join; the round computes
// its read index after it starts (leaderRound, followerRound). Holding the
// reads until the end of the turn only delays the round's start.

// StartReadBarriers is StartReadBarrier for several reads at once, all of
// which began before the call: fns[i] is called exactly once, from
// another goroutine or before StartReadBarriers returns, with what
// ReadBarrier would have returned. The reads join the same round, and
// their fns are called in their order. It reports false, having done
// nothing, when no leader is known or the node is closed: call
// ReadBarrier then. ctx is StartReadBarrier's (its read consistency must
// be the linearizable default: a local read needs no barrier).
func (n *Node) StartReadBarriers(ctx context.Context, fns []func(error)) bool {
	if len(fns) == 0 {
		return true
	}
	if query.ReadConsistencyFrom(ctx) == query.ReadLocal {
		for _, fn := range fns {
			fn(nil)
		}
		return true
	}
	r, ok := n.readRounds()
	if ok {
		r.startAll(fns)
	}
	return ok
}

// startAll joins fns to the next round (never one already running) and
// starts that round if fewer than maxRounds run; else the round that ends
// first starts it (finished, loop). Once the node is closed they are
// answered ErrClosed.
func (r *rounds) startAll(fns []func(error)) {
	r.joined.Add(uint64(len(fns)))
	r.mu.Lock()
	if r.next == nil {
		r.next = &round{done: make(chan struct{})}
	}
	next := r.next
	next.calls = append(next.calls, fns...)
	if r.running >= maxRounds {
		r.mu.Unlock()
		return
	}
	r.running++
	if r.async != nil {
		r.next = nil
		r.mu.Unlock()
		r.launch(next) // answers ErrClosed itself if it cannot start
		return
	}
	if r.n.goOwned(r.loop) {
		r.mu.Unlock()
		return
	}
	// Closed: nothing will run next; answer its readers, these and any
	// who joined before (a closing node answers ErrClosed).
	r.running--
	r.next = nil
	r.mu.Unlock()
	next.err = ErrClosed
	close(next.done)
	for _, fn := range next.calls {
		fn(ErrClosed)
	}
}
