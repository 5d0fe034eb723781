package replication

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// TestCommitNotices: with raft's commit timeout far beyond ApplyTimeout,
// a follower learns that an entry is committed only from the leader's
// commit notices (raft sends the commit index with the next entries or
// after that timeout). Writes taken by each follower, one at a time so
// that no later entry carries the commit index, are answered, and every
// follower applies the leader's last write. Without the notices each
// write failed with "committed at index N but not applied on this node in
// time".
func TestCommitNotices(t *testing.T) {
	c := newTestCluster(t, 3, func(cfg *Config) { cfg.CommitTimeout = time.Minute })
	leader := c.waitLeader()
	for i, f := range c.followers(leader) {
		for j := range 3 {
			c.mustWrite(f, fmt.Sprintf(`["insert","t",{"id":%d}]`, 10*i+j))
		}
	}
	c.mustWrite(leader, `["insert","t",{"id":100}]`)
	c.waitConverged()
}

// TestCommitNoticeRefused: a notice for an entry the follower does not
// hold with that term is refused and moves nothing (raft's check of the
// previous entry), so a notice can never commit a follower's stale entry.
func TestCommitNoticeRefused(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	leader := c.waitLeader()
	c.mustWrite(leader, `["insert","t",{"id":1}]`)
	c.waitConverged()
	ln := c.get(leader)
	f := c.followers(leader)[0]
	fn := c.get(f)
	applied := fn.Applied()
	e := *ln.fsm.applied.Load()
	local := ln.trans.EncodePeer(ln.self, ln.addr)
	for _, bad := range []appliedEntry{{e.index, e.term + 1}, {e.index + 5, e.term}} {
		req := &raft.AppendEntriesRequest{
			RPCHeader:         raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte(ln.self), Addr: local},
			Term:              ln.raft.CurrentTerm(),
			Leader:            local,
			PrevLogEntry:      bad.index,
			PrevLogTerm:       bad.term,
			LeaderCommitIndex: bad.index,
		}
		var resp raft.AppendEntriesResponse
		if err := ln.trans.Transport.AppendEntries(fn.self, fn.addr, req, &resp); err != nil {
			t.Fatal(err)
		}
		if resp.Success {
			t.Fatalf("a notice for entry %d of term %d (the leader has term %d there) was accepted", bad.index, bad.term, e.term)
		}
	}
	if got := fn.raft.CommitIndex(); got > e.index {
		t.Fatalf("follower commit index %d after refused notices, leader applied %d", got, e.index)
	}
	if fn.Applied() != applied {
		t.Fatalf("follower applied %d, then %d after refused notices", applied, fn.Applied())
	}
}
