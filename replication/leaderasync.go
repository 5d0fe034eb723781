package replication

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// The leader's read-index rounds without a goroutine (rounds.async of
// leaderReads), as a follower's (roundsasync.go): the leader records its
// commit index on the goroutine that starts the round (a server's event
// loop, or the link's reader goroutine that ended the previous round),
// sends the leadership confirmation (opConfirm) to one other voter
// without waiting, and the answer ends the round on the link's reader
// goroutine, which runs the round's reads. Before, a round of the
// leader's took a round goroutine's wake-up, a heartbeat goroutine's
// (beats.send), the hand-offs of the confirmation's answer to both over
// channels, and a new goroutine for the reads (finishRound).
//
// It is confirmLeader's check, answered by the same request, with less
// choice: it asks only when one acknowledgement makes a majority (two or
// three voters), of a member whose connection is open already, and it
// does not hedge. After a refusal, a lost connection or no answer within
// asyncConfirmTimeout, confirmLeader decides on a goroutine of its own
// (it hedges, and sends raft's heartbeat to a member that does not know
// opConfirm): the index recorded stays the round's, as its requests too
// are sent after the round's readers began.

// asyncConfirmTimeout is how long an asynchronous round waits for the
// confirmation of the one member it asked before its reads are retried
// through confirmLeader. A loopback round trip takes 0.1-2 ms on busy
// cores; an answer that comes later only costs confirmLeader's requests.
// The connection's reaper fires about once per this delay under reads.
const asyncConfirmTimeout = 20 * time.Millisecond

// leaderRoundAsync is leaderRound without waiting (rounds.async): false,
// having sent nothing, when it would wait (no entry of the term applied
// yet), when a majority needs more than one other voter, or when no
// connection to a voter that can be asked is open; leaderRound runs then.
func (n *Node) leaderRoundAsync(cur *round, finish func()) bool {
	term := n.raft.CurrentTerm()
	if !n.isLeader() || n.fsm.progress.term.Load() < term {
		return false
	}
	need, others, err := n.confirmers()
	if err != nil || need > 1 {
		return false
	}
	index, ok := n.indexOfTerm(term)
	if !ok {
		return false
	}
	if need == 0 {
		cur.index = index
		finish()
		return true
	}
	if n.ride(cur, term, index, finish) {
		return true // echo.go
	}
	return n.askConfirmOf(cur, term, index, others, finish)
}

// askConfirm is askConfirmOf the voters that can be asked now, and when
// none can be asked without waiting, confirmLeader on a goroutine of its
// own: cur's index was recorded as the leader of term.
func (n *Node) askConfirm(cur *round, term, index uint64, finish func()) {
	if need, others, err := n.confirmers(); err == nil && need == 1 && n.askConfirmOf(cur, term, index, others, finish) {
		return
	}
	cur.index = index
	if !n.goOwned(func() { cur.err = n.confirmRecorded(term); finish() }) {
		cur.err = ErrClosed
		finish()
	}
}

// askConfirmOf sends opConfirm of term to one of others, without waiting:
// its answer ends cur (index recorded as the leader of term) on the link's
// reader goroutine. False, having sent nothing, when no connection to any
// of them is open.
func (n *Node) askConfirmOf(cur *round, term, index uint64, others []raft.Server, finish func()) bool {
	first := int(n.beats.turn.Add(1) % uint64(len(others)))
	for k := range others {
		s := others[(first+k)%len(others)]
		if n.link.start(string(s.Address), opConfirm, nil, asyncConfirmTimeout, func(status byte, answer []byte, err error) {
			cur.index = index
			if cur.err = confirmAnswer(n, term, status, answer, err); cur.err == nil {
				finish()
				return
			}
			// Not confirmed by that member: confirmLeader decides,
			// asking again (another member too, after hedgeDelay).
			if !n.goOwned(func() { cur.err = n.confirmRecorded(term); finish() }) {
				cur.err = ErrClosed
				finish()
			}
		}) {
			return true
		}
	}
	return false
}

// confirmAnswer checks a member's answer to opConfirm for a read index
// recorded as the leader of term: nil when the member answered term and
// this node is still of term once the answer arrived (as leaderRound
// checks after confirmLeader).
func confirmAnswer(n *Node, term uint64, status byte, answer []byte, err error) error {
	switch {
	case err != nil:
		return err
	case status != stOK:
		// stNotLeader from a member that does not know opConfirm too:
		// the retry sends it raft's heartbeat.
		return remoteError(status, answer)
	}
	t, k := binary.Uvarint(answer)
	if k <= 0 || t != term {
		return fmt.Errorf("%w: leadership of term %d not confirmed", ErrNotLeader, term)
	}
	if now := n.raft.CurrentTerm(); now != term {
		return fmt.Errorf("%w: the term changed (%d, read index of term %d)", ErrNotLeader, now, term)
	}
	return nil
}

// confirmRecorded is the rest of leaderRound once the index was recorded
// as the leader of term: confirmLeader, then the term check.
func (n *Node) confirmRecorded(term uint64) error {
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.ApplyTimeout)
	defer cancel()
	if err := n.confirmLeader(ctx, term); err != nil {
		return err
	}
	if n.raft.CurrentTerm() != term {
		return fmt.Errorf("%w: the term changed", ErrNotLeader)
	}
	return nil
}
