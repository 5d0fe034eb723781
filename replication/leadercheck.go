package replication

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// Leadership confirmation for read indexes (Raft thesis §6.4): after the
// leader recorded its commit index, a majority of the voters must
// acknowledge it as the leader of its term in answer to a request sent
// after that.
//
// hashicorp/raft's VerifyLeader does not guarantee the "sent after": it
// registers the check with each follower's heartbeat goroutine, which
// counts the answer to the next heartbeat that returns, and a heartbeat
// already in flight when the check was registered returns too. That
// answer may have been written before the read began, so a leader that
// was deposed meanwhile (a new leader elected and a write acknowledged in
// that window) could answer a read without that write. It also waits for
// raft's leader loop, which is busy with the leader's own log appends
// (fsync) under writes.
//
// confirmLeader asks the other voters itself instead, over the forwarding
// link (opConfirm, answered by any member from its handler, without
// raft's main loop): each answers with its current term. A member whose
// term is still this node's term when the request reaches it has not
// voted in a later term by then (raft sets its term before it grants a
// vote), so no leader of a later term had its vote at that moment; with
// this node's own, a majority of such answers means no later leader could
// have been elected before the read began, which is what raft's
// heartbeat answer proves too. It is one small frame each way, where
// raft's heartbeat (an AppendEntries request through raft's transport,
// msgpack-encoded on a pooled connection) took a quarter of the leader's
// CPU under linearizable gets. A member that does not know opConfirm (an
// earlier version answers stNotLeader) gets raft's heartbeat instead.
//
// Only as many voters as a majority needs are asked at first (one of two
// followers): the others only if one of them refuses, or has not answered
// within hedgeDelay.

// confirmLeader returns nil once a majority of the voters, this node
// among them, acknowledged it as the leader of term in answer to requests
// sent during the call; ErrNotLeader when a majority cannot or did not;
// ctx's error or ErrClosed.
func (n *Node) confirmLeader(ctx context.Context, term uint64) error {
	need, others, err := n.confirmers()
	if err != nil || need <= 0 {
		return err
	}
	acks := make(chan bool, len(others))
	// Ask the others in turn, from a member that changes with every call.
	first, asked := int(n.beats.turn.Add(1)%uint64(len(others))), 0
	ask := func(k int) bool {
		for ; k > 0 && asked < len(others); k-- {
			if !n.beats.ask(others[(first+asked)%len(others)], term, acks) {
				return false
			}
			asked++
		}
		return true
	}
	if !ask(need) {
		return ErrClosed
	}
	var hedge <-chan time.Time
	if asked < len(others) {
		t := time.NewTimer(n.beats.hedge)
		defer t.Stop()
		hedge = t.C
	}
	ok, failed := 0, 0
	for ok < need {
		select {
		case a := <-acks:
			if a {
				ok++
				continue
			}
			if failed++; len(others)-failed < need {
				return fmt.Errorf("%w: leadership of term %d not confirmed by a majority", ErrNotLeader, term)
			}
			if !ask(1) {
				return ErrClosed
			}
		case <-hedge:
			hedge = nil
			if !ask(len(others)) {
				return ErrClosed
			}
		case <-ctx.Done():
			return ctx.Err()
		case <-n.ctx.Done():
			return ErrClosed
		}
	}
	return nil
}

// confirmers returns how many other voters must acknowledge this node's
// leadership (with its own, a majority of the voters of its latest
// configuration) and the other voters that can be asked (those raft does
// not see failing); ErrNotLeader when this node is no voter or too few
// others are reachable.
func (n *Node) confirmers() (need int, others []raft.Server, err error) {
	cf := n.raft.GetConfiguration()
	if err := cf.Error(); err != nil {
		return 0, nil, fmt.Errorf("%w: %w", ErrNotLeader, err)
	}
	voters, self := 0, false
	for _, s := range cf.Configuration().Servers {
		if s.Suffrage != raft.Voter {
			continue
		}
		voters++
		if s.ID == n.self {
			self = true
			continue
		}
		if p, ok := n.peers.get(s.ID); ok && !p.failingSince.IsZero() {
			continue // unreachable as of raft's last call: it cannot count
		}
		others = append(others, s)
	}
	if !self {
		return 0, nil, fmt.Errorf("%w: not a voter", ErrNotLeader)
	}
	need = voters / 2
	if need > 0 && len(others) < need {
		return 0, nil, fmt.Errorf("%w: %d of %d other voters reachable, %d needed", ErrNotLeader, len(others), voters-1, need)
	}
	return need, others, nil
}

// hedgeDelay is how long confirmLeader waits for the voters it asked first
// before it asks the others too. A confirmation takes a loopback round
// trip (0.1-1 ms, more on busy cores); a member that stalls costs a read
// this much more.
const hedgeDelay = 5 * time.Millisecond

// beats sends the heartbeats of confirmLeader: at most one in flight per
// member, each answering every check that asked before it was sent, so
// that concurrent checks share heartbeats (a check that asks while one is
// in flight waits for the next, sent as soon as that one returns).
type beats struct {
	n *Node
	// beat sends one heartbeat of a term to a member and reports whether
	// it acknowledged this node as the leader of that term (heartbeat;
	// tests replace it).
	beat func(s raft.Server, term uint64) bool
	// turn picks the member confirmLeader asks first; hedge is when it
	// asks the others too (hedgeDelay; tests change it).
	turn  atomic.Uint64
	hedge time.Duration
	// mu guards peers.
	mu    sync.Mutex
	peers map[raft.ServerID]*beatQueue
}

// beatQueue is one member's checks waiting for a heartbeat to be sent.
type beatQueue struct {
	waiting []beatWaiter
	sending int // goroutines sending heartbeats until waiting is empty
}

// maxBeats is how many heartbeats of leadership checks may be in flight
// to one member: with one, a check that asks while one is in flight waits
// for it to return and then for a whole round trip of its own.
// Two measured as fast as raft's VerifyLeader (which counts the answer of
// a heartbeat already in flight) at the same CPU per read: three serve
// processes, 64 connections of linearizable gets through every member,
// interleaved: 53.6k, 48.5k reads/s at 23.8, 25.6 µs of the members' CPU
// per read against 50.7k, 50.9k/s at 24.5, 24.1 µs; with one, 43.0k and
// 41.4k/s against 54.4k and 52.8k/s.
const maxBeats = 2

type beatWaiter struct {
	term uint64
	ack  chan<- bool
}

func newBeats(n *Node) *beats {
	b := &beats{n: n, hedge: hedgeDelay, peers: map[raft.ServerID]*beatQueue{}}
	b.beat = b.heartbeat
	return b
}

// ask queues a check of term with s: ack gets true once s acknowledged
// this node as the leader of term in answer to a heartbeat sent after
// ask was called, false if it did not. It reports false, without
// queueing, once the node closes.
func (b *beats) ask(s raft.Server, term uint64, ack chan<- bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.peers[s.ID]
	if q == nil {
		q = &beatQueue{}
		b.peers[s.ID] = q
	}
	q.waiting = append(q.waiting, beatWaiter{term, ack})
	if q.sending >= maxBeats {
		return true
	}
	if !b.n.goOwned(func() { b.send(s, q) }) {
		q.waiting = q.waiting[:len(q.waiting)-1]
		return false
	}
	q.sending++
	return true
}

// send sends heartbeats to s while checks wait, each for the checks queued
// before it was sent.
func (b *beats) send(s raft.Server, q *beatQueue) {
	for {
		b.mu.Lock()
		ws := q.waiting
		q.waiting = nil
		if len(ws) == 0 {
			q.sending--
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		term := ws[0].term
		ok := b.n.ctx.Err() == nil && b.beat(s, term)
		for _, w := range ws {
			w.ack <- ok && w.term == term
		}
	}
}

// heartbeat asks s for its current term over the forwarding link and
// reports whether it is term (see confirmLeader); a member that does not
// know the request gets raft's heartbeat instead.
func (b *beats) heartbeat(s raft.Server, term uint64) bool {
	ctx, cancel := context.WithTimeout(b.n.ctx, b.n.cfg.ApplyTimeout)
	status, answer, err := b.n.link.call(ctx, string(s.Address), opConfirm, nil)
	cancel()
	switch {
	case err != nil:
		return false
	case status == stOK:
		t, k := binary.Uvarint(answer)
		return k > 0 && t == term
	case status == stNotLeader:
		return b.raftHeartbeat(s, term)
	}
	return false
}

// raftHeartbeat sends one raft heartbeat of term to s and reports whether
// s acknowledged this node as the leader of that term.
func (b *beats) raftHeartbeat(s raft.Server, term uint64) bool {
	local := b.n.trans.Transport.EncodePeer(b.n.self, b.n.addr)
	req := &raft.AppendEntriesRequest{
		RPCHeader: raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte(b.n.self), Addr: local},
		Term:      term,
		Leader:    local,
	}
	var resp raft.AppendEntriesResponse
	err := b.n.trans.Transport.AppendEntries(s.ID, s.Address, req, &resp)
	return err == nil && resp.Success && resp.Term == term
}
