package replication

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// Commit notices: a follower applies an entry only once it learns that
// the entry is committed, and hashicorp/raft tells it only in its next
// AppendEntries, sent when new entries are appended or after the commit
// timeout (raft draws it between 1 and 2 ms, and refuses a shorter one).
// Every write taken by a follower waits for that (Node.waitApplied): with
// one client, 2.5 ms per write on a follower against 0.8 ms on the
// leader; under load, whenever the writers are all waiting for answers
// and no new entry comes to carry the commit index.
//
// So as soon as the leader's state machine has applied an entry, the
// leader sends each follower to which raft has not yet sent that commit
// index a commit notice of its own: an AppendEntries request with no
// entries, whose previous entry is the applied one (index and term) and
// whose commit index is that index. The follower handles it as any
// AppendEntries of the leader: it checks that its log holds that very
// entry (else it refuses, and nothing changes), then commits and applies
// up to it. That is safe: the entry is committed (the leader applied it),
// an entry with the same index and term means the same log up to it, and
// the request's term is the leader's, checked to be the term of the entry
// (so the node led in that term; a notice that arrives late is a stale
// message of that term, which raft handles).
//
// At most one notice per follower is in flight; a follower that already
// has the commit index from raft (peerTransport records what raft sends)
// gets none, nor does one whose last call from raft failed.

// appliedEntry is the index and term of the last entry the state machine
// applied, published together.
type appliedEntry struct{ index, term uint64 }

// commitNotices sends commit notices to the followers; its goroutines are
// the node's.
type commitNotices struct {
	n *Node
	// sent records, per follower, the highest commit index sent to it by
	// raft or by a notice.
	sent *commitSent
	// mu guards busy: the followers with a notice in flight.
	mu   sync.Mutex
	busy map[raft.ServerID]bool
}

// commitSent is the highest commit index sent to each member. Safe for
// concurrent use.
type commitSent struct{ m sync.Map } // raft.ServerID → *atomic.Uint64

func (c *commitSent) get(id raft.ServerID) *atomic.Uint64 {
	if v, ok := c.m.Load(id); ok {
		return v.(*atomic.Uint64)
	}
	v, _ := c.m.LoadOrStore(id, new(atomic.Uint64))
	return v.(*atomic.Uint64)
}

// record notes that a request with commit index idx goes to id.
func (c *commitSent) record(id raft.ServerID, idx uint64) {
	s := c.get(id)
	for {
		cur := s.Load()
		if idx <= cur || s.CompareAndSwap(cur, idx) {
			return
		}
	}
}

func newCommitNotices(n *Node, sent *commitSent) *commitNotices {
	return &commitNotices{n: n, sent: sent, busy: map[raft.ServerID]bool{}}
}

// run waits for applied entries and notifies the followers, until the
// node closes.
func (c *commitNotices) run() {
	p := c.n.fsm.progress
	for {
		p.mu.Lock()
		ch := p.changed
		p.mu.Unlock()
		c.notifyAll()
		select {
		case <-ch:
		case <-c.n.ctx.Done():
			return
		}
	}
}

// current returns the applied entry to announce, or ok false when this
// node does not lead in that entry's term.
func (c *commitNotices) current() (e appliedEntry, ok bool) {
	a := c.n.fsm.applied.Load()
	if a == nil || a.index == 0 || !c.n.isLeader() || c.n.raft.CurrentTerm() != a.term {
		return appliedEntry{}, false
	}
	return *a, true
}

func (c *commitNotices) notifyAll() {
	e, ok := c.current()
	if !ok {
		return
	}
	cf := c.n.raft.GetConfiguration()
	if cf.Error() != nil {
		return
	}
	for _, s := range cf.Configuration().Servers {
		if s.ID == c.n.self || c.sent.get(s.ID).Load() >= e.index {
			continue
		}
		if p, ok := c.n.peers.get(s.ID); ok && !p.failingSince.IsZero() {
			continue // unreachable: raft retries it, a notice would only dial
		}
		c.mu.Lock()
		busy := c.busy[s.ID]
		c.busy[s.ID] = true
		c.mu.Unlock()
		if busy {
			continue
		}
		if !c.n.goOwned(func() { c.notify(s.ID, s.Address) }) {
			return
		}
	}
}

// notify sends id notices until it has the latest applied index.
func (c *commitNotices) notify(id raft.ServerID, addr raft.ServerAddress) {
	defer func() {
		c.mu.Lock()
		delete(c.busy, id)
		c.mu.Unlock()
	}()
	trans := c.n.trans.Transport
	local := trans.EncodePeer(c.n.self, c.n.addr)
	refused := 0
	for c.n.ctx.Err() == nil {
		e, ok := c.current()
		if !ok || c.sent.get(id).Load() >= e.index {
			return
		}
		req := &raft.AppendEntriesRequest{
			RPCHeader:         raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte(c.n.self), Addr: local},
			Term:              e.term,
			Leader:            local,
			PrevLogEntry:      e.index,
			PrevLogTerm:       e.term,
			LeaderCommitIndex: e.index,
		}
		var resp raft.AppendEntriesResponse
		if err := trans.AppendEntries(id, addr, req, &resp); err != nil || resp.Term != e.term {
			return // raft's own replication carries the commit index
		}
		if !resp.Success {
			// The follower does not hold the entry (yet): raft's append
			// that carries it travels on another connection and may
			// arrive after the notice, and that append carries an older
			// commit index. Ask again shortly, a few times; if the
			// follower is further behind, raft's replication (its next
			// entries, or the commit timeout) tells it.
			if refused++; refused > noticeRetries {
				return
			}
			t := time.NewTimer(noticeRetryDelay << (refused - 1))
			select {
			case <-t.C:
			case <-c.n.ctx.Done():
				t.Stop()
				return
			}
			continue
		}
		refused = 0
		c.sent.record(id, e.index)
	}
}

// A refused notice is sent again noticeRetries times at most, after
// noticeRetryDelay, then twice as long each time (7.5 ms in all): an
// append in flight reaches a follower on loopback well within that.
const (
	noticeRetries    = 4
	noticeRetryDelay = 500 * time.Microsecond
)
