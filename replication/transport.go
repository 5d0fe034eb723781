package replication

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// peerTransport wraps raft's transport (TCP or in-memory) for three things
// raft does not offer:
//
//   - Prompt catch-up of a member that comes back. hashicorp/raft backs off
//     log replication to a member that failed exponentially, up to 10.24 s
//     between attempts, and nothing but shutdown cuts that wait short: a
//     member restarted after a crash would hear heartbeats (they back off
//     at most HeartbeatTimeout/2) yet receive no entries for seconds. Here
//     a failed replication call (not a heartbeat) is not returned to raft
//     at once: it is tried again every retry interval for as long as this
//     node leads in the call's term, the member is in the configuration and
//     the node is open. Raft's failure count therefore stays low and
//     entries flow within one interval of the member's return.
//   - Reachability of every member as the leader sees it (Status): the
//     time of the last answer and since when calls fail.
//   - Append pipelines that cannot deadlock the leader's replication (and
//     with it Close) once a follower rejects an entry (endingPipeline).
//
// Its methods are called by raft's goroutines, concurrently.
type peerTransport struct {
	raft.Transport
	pv    raft.WithPreVote
	ctx   context.Context
	retry time.Duration
	raft  atomic.Pointer[raft.Raft] // set once raft is started
	peers *peerHealth
	sent  *commitSent // the commit index raft sent each member (commit notices)
}

var (
	_ raft.Transport   = (*peerTransport)(nil)
	_ raft.WithPreVote = (*peerTransport)(nil)
	_ raft.WithClose   = (*peerTransport)(nil)
)

// replicationRetry is how often a replication call to a member that does
// not answer is tried again.
const replicationRetry = 100 * time.Millisecond

func newPeerTransport(ctx context.Context, t raft.Transport, peers *peerHealth, sent *commitSent) *peerTransport {
	pv, _ := t.(raft.WithPreVote)
	return &peerTransport{Transport: t, pv: pv, ctx: ctx, retry: replicationRetry, peers: peers, sent: sent}
}

// isHeartbeat reports whether an AppendEntries request is one of raft's
// heartbeats (term and leader only), which raft paces itself.
func isHeartbeat(a *raft.AppendEntriesRequest) bool {
	return len(a.Entries) == 0 && a.PrevLogEntry == 0 && a.PrevLogTerm == 0 && a.LeaderCommitIndex == 0
}

func (t *peerTransport) AppendEntries(id raft.ServerID, target raft.ServerAddress, args *raft.AppendEntriesRequest, resp *raft.AppendEntriesResponse) error {
	t.sent.record(id, args.LeaderCommitIndex)
	err := t.Transport.AppendEntries(id, target, args, resp)
	t.peers.record(id, err)
	if err == nil || isHeartbeat(args) {
		return err
	}
	tick := time.NewTicker(t.retry)
	defer tick.Stop()
	for {
		select {
		case <-t.ctx.Done():
			return err
		case <-tick.C:
		}
		if !t.stillReplicating(args.Term, id) {
			return err
		}
		err = t.Transport.AppendEntries(id, target, args, resp)
		t.peers.record(id, err)
		if err == nil {
			return nil
		}
	}
}

// stillReplicating reports whether this node still leads in term and id is
// still in the configuration: a call of a leadership that ended, or to a
// member that was removed, is given up.
func (t *peerTransport) stillReplicating(term uint64, id raft.ServerID) bool {
	r := t.raft.Load()
	if r == nil || r.State() != raft.Leader || r.CurrentTerm() != term {
		return false
	}
	f := r.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	for _, s := range f.Configuration().Servers {
		if s.ID == id {
			return true
		}
	}
	return false
}

func (t *peerTransport) AppendEntriesPipeline(id raft.ServerID, target raft.ServerAddress) (raft.AppendPipeline, error) {
	p, err := t.Transport.AppendEntriesPipeline(id, target)
	if err != nil {
		if err != raft.ErrPipelineReplicationNotSupported {
			t.peers.record(id, err)
		}
		return nil, err
	}
	return newEndingPipeline(p, func(args *raft.AppendEntriesRequest) { t.sent.record(id, args.LeaderCommitIndex) }), nil
}

func (t *peerTransport) RequestPreVote(id raft.ServerID, target raft.ServerAddress, args *raft.RequestPreVoteRequest, resp *raft.RequestPreVoteResponse) error {
	return t.pv.RequestPreVote(id, target, args, resp)
}

func (t *peerTransport) Close() error {
	if c, ok := t.Transport.(raft.WithClose); ok {
		return c.Close()
	}
	return nil
}

// peerHealth is what the leader knows of each member's reachability: the
// time of the last answer to an AppendEntries call (heartbeats included,
// about ten a heartbeat timeout) and since when calls fail. Safe for
// concurrent use.
type peerHealth struct {
	// mu guards peers.
	mu    sync.Mutex
	peers map[raft.ServerID]*peerState
}

type peerState struct {
	lastContact  time.Time // the last answer
	failingSince time.Time // the first failure since the last answer; zero while answering
	lastErr      error
	warned       bool // the member was reported unreachable in the log
}

func newPeerHealth() *peerHealth { return &peerHealth{peers: map[raft.ServerID]*peerState{}} }

func (h *peerHealth) record(id raft.ServerID, err error) {
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.peers[id]
	if p == nil {
		p = &peerState{}
		h.peers[id] = p
	}
	if err == nil {
		p.lastContact, p.failingSince, p.lastErr = now, time.Time{}, nil
		return
	}
	if p.failingSince.IsZero() {
		p.failingSince = now
	}
	p.lastErr = err
}

// get returns a copy of what is known of id (ok false if nothing is).
func (h *peerHealth) get(id raft.ServerID) (peerState, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.peers[id]
	if p == nil {
		return peerState{}, false
	}
	return *p, true
}

// transitions returns the members that have failed for at least after and
// were not reported yet, and those reported that answer again; it marks
// them reported or not accordingly.
func (h *peerHealth) transitions(after time.Duration) (down []downPeer, up []raft.ServerID) {
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, p := range h.peers {
		switch {
		case !p.warned && !p.failingSince.IsZero() && now.Sub(p.failingSince) >= after:
			p.warned = true
			down = append(down, downPeer{id: id, since: p.failingSince, lastContact: p.lastContact, err: p.lastErr})
		case p.warned && p.failingSince.IsZero():
			p.warned = false
			up = append(up, id)
		}
	}
	return down, up
}

type downPeer struct {
	id                 raft.ServerID
	since, lastContact time.Time
	err                error
}

// forget drops what is known of every member (leadership was lost: the
// figures would go stale).
func (h *peerHealth) forget() {
	h.mu.Lock()
	defer h.mu.Unlock()
	clear(h.peers)
}
