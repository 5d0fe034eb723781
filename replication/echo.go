package replication

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// Leadership confirmations that ride on the followers' read-index
// requests (echoes). Under reads through every member, the leader's own
// rounds each sent an opConfirm request to a follower and waited for its
// answer: one frame each way, a write, a read and a wake-up on both
// sides, ~10 % of the members' CPU per linearizable get. The followers
// send read-index requests all the time anyway; an echo makes one of them
// prove what an opConfirm answer proves.
//
// The leader numbers its answers to followers' read-index requests (seq,
// per leader process) and puts the number in the answer, with its term.
// A follower remembers the term and the highest number of the answers it
// received (seen), and each request of its carries that term and number
// and, read after them, its own current term (askPayload). A round of the
// leader's own that recorded its read index as the leader of term T, and
// then read the counter as s0, is confirmed by an echo from a voter that
// makes a majority with the leader (two or three voters) naming a seen
// answer of term T numbered above s0 and a current term of T.
//
// Why that is what an opConfirm answer proves (leadercheck.go: a voter
// whose term is still T at some moment after the read began has not voted
// in a later term by then). An answer numbered above s0 got its number
// after the leader read s0, which was after it recorded the read index,
// which was after the round's reads began: it was written after they
// began, and the follower received it after that. The follower read its
// term after it had received that answer (it reads seen first), and it
// was T: so at a moment after the reads began, that voter's term was
// still T. The numbers are the leader process's; an echo names the term
// of the answer it saw, and only one member leads in a term (a leader
// that restarts or leads again does so in a later term), so a number of
// another leader's, or of this one's in another term, never counts. As
// after an opConfirm answer, the leader checks that its own term is
// still T before it takes the confirmation.
//
// A round rides only while echoes arrive (one came within echoRecent),
// and falls back to opConfirm when none confirmed it within echoWaitMax: a
// leader whose followers do not read confirms as before.
const (
	echoRecent  = time.Millisecond
	echoWaitMax = 2 * time.Millisecond
)

// echoes is a node's state of the scheme: the leader's numbering and
// waiting rounds, and the follower's seen answer.
type echoes struct {
	seq  atomic.Uint64 // answers numbered so far (the leader's)
	last atomic.Int64  // when an echo last arrived (UnixNano; the leader's)
	rode atomic.Uint64 // rounds an echo confirmed (the closing log line)
	// waitFor is how long a round waits for an echo (0: echoWaitMax;
	// tests change it).
	waitFor time.Duration

	// mu guards waiting and the timer's arming.
	mu      sync.Mutex
	waiting []echoWait
	timer   *time.Timer
	timerAt time.Time

	// seenMu guards seenTerm and seenSeq (the follower's).
	seenMu            sync.Mutex
	seenTerm, seenSeq uint64
}

// echoWait is a leader's round waiting for an echo.
type echoWait struct {
	term, after, index uint64
	cur                *round
	finish             func()
	deadline           time.Time
}

// ride makes cur, a round of the leader's whose read index was recorded
// as index in term (and only then), wait for an echo instead of asking
// for a confirmation; false when no echo arrived lately (ask then).
func (n *Node) ride(cur *round, term, index uint64, finish func()) bool {
	e := &n.echo
	now := time.Now()
	if now.UnixNano()-e.last.Load() > int64(echoRecent) {
		return false
	}
	wait := e.waitFor
	if wait == 0 {
		wait = echoWaitMax
	}
	w := echoWait{term: term, after: e.seq.Load(), index: index, cur: cur, finish: finish, deadline: now.Add(wait)}
	e.mu.Lock()
	e.waiting = append(e.waiting, w)
	if e.timerAt.IsZero() {
		// Armed for the first waiting round: the deadlines of the others
		// come later (the wait is the same for all).
		e.timerAt = w.deadline
		if e.timer == nil {
			e.timer = time.AfterFunc(wait, n.echoTimeout)
		} else {
			e.timer.Reset(wait)
		}
	}
	e.mu.Unlock()
	return true
}

// echoTimeout asks for the confirmation of the rounds that no echo
// confirmed by their deadline, and arms the timer for the others.
func (n *Node) echoTimeout() {
	e := &n.echo
	now := time.Now()
	var late []echoWait
	e.mu.Lock()
	keep := e.waiting[:0]
	for _, w := range e.waiting {
		if w.deadline.After(now) {
			keep = append(keep, w)
		} else {
			late = append(late, w)
		}
	}
	clear(e.waiting[len(keep):])
	e.waiting = keep
	e.timerAt = time.Time{}
	if len(keep) > 0 {
		e.timerAt = keep[0].deadline
		e.timer.Reset(time.Until(keep[0].deadline))
	}
	e.mu.Unlock()
	for _, w := range late {
		n.askConfirm(w.cur, w.term, w.index, w.finish)
	}
}

// echoed takes an echo of a voter that makes a majority with this node,
// the leader of term (payload's rest after the asker's id: see
// askPayload): it ends the rounds it confirms.
func (n *Node) echoed(term uint64, echo []byte) {
	seenTerm, k1 := binary.Uvarint(echo)
	if k1 <= 0 {
		return
	}
	seenSeq, k2 := binary.Uvarint(echo[k1:])
	if k2 <= 0 {
		return
	}
	askerTerm, k3 := binary.Uvarint(echo[k1+k2:])
	if k3 <= 0 {
		return
	}
	e := &n.echo
	e.last.Store(time.Now().UnixNano())
	if seenTerm != term || askerTerm != term {
		return
	}
	var done []echoWait
	e.mu.Lock()
	keep := e.waiting[:0]
	for _, w := range e.waiting {
		if w.term == term && seenSeq > w.after {
			done = append(done, w)
		} else {
			keep = append(keep, w)
		}
	}
	clear(e.waiting[len(keep):])
	e.waiting = keep
	e.mu.Unlock()
	e.rode.Add(uint64(len(done)))
	for _, w := range done {
		w.cur.index = w.index
		if now := n.raft.CurrentTerm(); now != w.term {
			w.cur.err = fmt.Errorf("%w: the term changed (%d, read index of term %d)", ErrNotLeader, now, w.term)
		}
		w.finish()
	}
}

// numberedAnswer is readIndexAnswer for an asker that echoes: the index,
// the term it must check, and the answer's number.
func (n *Node) numberedAnswer(index, term uint64) []byte {
	b := readIndexAnswer(index, term)
	return binary.AppendUvarint(b, n.echo.seq.Add(1))
}

// askPayload is a follower's read-index request: its id, then (after a
// zero byte, which no id contains) the term and number of the highest
// numbered answer it received and, read after them, its current term.
func (n *Node) askPayload() []byte {
	e := &n.echo
	e.seenMu.Lock()
	st, ss := e.seenTerm, e.seenSeq
	e.seenMu.Unlock()
	b := make([]byte, 0, len(n.self)+1+3*binary.MaxVarintLen64)
	b = append(append(b, n.self...), 0)
	b = binary.AppendUvarint(b, st)
	b = binary.AppendUvarint(b, ss)
	return binary.AppendUvarint(b, n.raft.CurrentTerm())
}

// splitAsk splits a read-index request's payload into the asker's id and
// its echo (nil from a member that sends none).
func splitAsk(payload []byte) (raft.ServerID, []byte) {
	if i := bytes.IndexByte(payload, 0); i >= 0 {
		return raft.ServerID(payload[:i]), payload[i+1:]
	}
	return raft.ServerID(payload), nil
}

// sawAnswer records a numbered answer of term received by this follower.
func (n *Node) sawAnswer(term, seq uint64) {
	e := &n.echo
	e.seenMu.Lock()
	if term > e.seenTerm || term == e.seenTerm && seq > e.seenSeq {
		e.seenTerm, e.seenSeq = term, seq
	}
	e.seenMu.Unlock()
}
