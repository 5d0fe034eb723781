package replication

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// Join adds a node to the cluster as a voter. Any member accepts the
// request and hands it to the leader, which adds the node to the Raft
// configuration and records its client address. Joining again with the
// same id updates the addresses.
func (n *Node) Join(ctx context.Context, id, raftAddr, clientAddr string) error {
	if id == "" || raftAddr == "" {
		return errors.New("replication: join: node id and raft address are required")
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.ApplyTimeout)
	defer cancel()
	payload := appendString(nil, []byte(id))
	payload = appendString(payload, []byte(raftAddr))
	payload = appendString(payload, []byte(clientAddr))
	return n.onLeader(ctx, opJoin, payload,
		func(ctx context.Context) error { return n.joinLocal(ctx, id, raftAddr, clientAddr) },
		func([]byte) error { return nil })
}

// Remove removes a node from the cluster (it may be the leader itself,
// which then steps down). Any member accepts the request.
func (n *Node) Remove(ctx context.Context, id string) error {
	if id == "" {
		return errors.New("replication: remove: node id is required")
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.ApplyTimeout)
	defer cancel()
	return n.onLeader(ctx, opRemove, appendString(nil, []byte(id)),
		func(ctx context.Context) error { return n.removeLocal(ctx, id) },
		func([]byte) error { return nil })
}

func (n *Node) joinLocal(ctx context.Context, id, raftAddr, clientAddr string) error {
	if !n.isLeader() {
		return ErrNotLeader
	}
	cf := n.raft.GetConfiguration()
	if err := cf.Error(); err != nil {
		return leaderErr(err)
	}
	for _, s := range cf.Configuration().Servers {
		if string(s.Address) == raftAddr && string(s.ID) != id {
			return fmt.Errorf("replication: join %s: raft address %s belongs to member %s (remove it first)", id, raftAddr, s.ID)
		}
	}
	// A member the leader cannot authenticate (another cluster secret or
	// CA) or reach would count toward the quorum without ever taking part:
	// refuse it before it enters the configuration. The cause is kept as
	// text: wrapping it would make the refusal look retryable (errNotSent).
	if _, _, err := n.link.call(ctx, raftAddr, opPing, nil); err != nil {
		why := "reach"
		if errors.Is(err, errPeerAuth) {
			why = "authenticate"
		}
		n.log.Warn("replication: join refused: cannot "+why+" the member", "id", id, "raft-addr", raftAddr, "err", err)
		return fmt.Errorf("replication: join %s refused: the leader cannot %s the member at %s (another cluster secret, a certificate of another CA, or an address the leader cannot dial?): %s",
			id, why, raftAddr, err.Error())
	}
	if err := n.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(raftAddr), 0, n.cfg.ApplyTimeout).Error(); err != nil {
		return leaderErr(fmt.Errorf("replication: add voter %s: %w", id, err))
	}
	n.log.Info("replication: member added", "id", id, "raft-addr", raftAddr, "client-addr", clientAddr)
	if clientAddr == "" {
		return nil
	}
	_, _, err := n.applyEntry(ctx, appendMember(nil, id, clientAddr))
	return err
}

func (n *Node) removeLocal(ctx context.Context, id string) error {
	if !n.isLeader() {
		return ErrNotLeader
	}
	if _, _, err := n.applyEntry(ctx, appendMember(nil, id, "")); err != nil {
		return err
	}
	if err := n.raft.RemoveServer(raft.ServerID(id), 0, n.cfg.ApplyTimeout).Error(); err != nil {
		return leaderErr(fmt.Errorf("replication: remove server %s: %w", id, err))
	}
	n.log.Info("replication: member removed", "id", id)
	return nil
}

// leaderErr marks raft's "not the leader" errors with ErrNotLeader.
func leaderErr(err error) error {
	if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) {
		return fmt.Errorf("%w: %w", ErrNotLeader, err)
	}
	return err
}

// upkeep follows leadership changes: it wakes the writes and reads waiting
// for a leader, makes a new leader commit an entry of its term (reads
// wait for it, see leaderRound), and makes sure the members know this
// node's client address. It owns nothing but the tasks it starts, which
// are owned by the node.
func (n *Node) upkeep(notify <-chan bool, obs <-chan raft.Observation) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var leaderEntry, memberEntry atomic.Bool // a task in flight
	for {
		select {
		case <-n.ctx.Done():
			return
		case leading := <-notify:
			if leading {
				n.peers.forget() // figures of an earlier leadership are stale
			}
			n.leader.notify()
		case <-obs:
			n.leader.notify()
		case <-tick.C:
			if n.isLeader() {
				n.reportReachability()
			}
		}
		if n.isLeader() && n.fsm.progress.term.Load() < n.raft.CurrentTerm() && leaderEntry.CompareAndSwap(false, true) {
			n.goOwned(func() {
				defer leaderEntry.Store(false)
				// await, not Error: with BatchApplyCh raft 1.7.3 never
				// answers a future still in its apply channel when it
				// shuts down, and this goroutine held Node.Close's
				// WaitGroup for good (TestReturningMemberCatchesUpPromptly
				// hung 10 min in a -race -count=3 run).
				if err := n.await(n.ctx, n.raft.Apply([]byte{entryLeader}, n.cfg.ApplyTimeout)); err != nil {
					n.log.Debug("replication: leader entry", "err", err)
				}
			})
		}
		if n.cfg.ClientAddr != "" && n.fsm.clientAddr(n.cfg.NodeID) != n.cfg.ClientAddr && memberEntry.CompareAndSwap(false, true) {
			n.goOwned(func() {
				defer memberEntry.Store(false)
				n.publishClientAddr()
			})
		}
	}
}

// unreachableAfter is how long a member must fail to answer the leader
// before the leader logs a warning: a restart takes less and is no
// problem (raft's own messages about each failed call are debug level).
func (n *Node) unreachableAfter() time.Duration { return 5 * n.cfg.HeartbeatTimeout }

// reportReachability logs members that stopped answering the leader (a
// warning) and those that answer again.
func (n *Node) reportReachability() {
	down, up := n.peers.transitions(n.unreachableAfter())
	for _, p := range down {
		args := []any{"id", string(p.id), "since", p.since.Format(time.RFC3339), "err", p.err}
		if !p.lastContact.IsZero() {
			args = append(args, "last_contact", p.lastContact.Format(time.RFC3339))
		}
		n.log.Warn("replication: member unreachable", args...)
	}
	for _, id := range up {
		n.log.Info("replication: member reachable again", "id", string(id))
	}
}

// publishClientAddr commits this node's client address if the node is a
// voter of the current configuration.
func (n *Node) publishClientAddr() {
	cf := n.raft.GetConfiguration()
	if cf.Error() != nil {
		return
	}
	member := false
	for _, s := range cf.Configuration().Servers {
		member = member || s.ID == n.self
	}
	if !member {
		return
	}
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.ApplyTimeout)
	defer cancel()
	entry := appendMember(nil, n.cfg.NodeID, n.cfg.ClientAddr)
	err := n.onLeader(ctx, opMember, entry,
		func(ctx context.Context) error { _, _, err := n.applyEntry(ctx, entry); return err },
		func([]byte) error { return nil })
	if err != nil {
		n.log.Debug("replication: publish client address", "err", err)
	}
}

// TransferLeadership asks the leader (this node) to hand leadership to
// the most up-to-date other voter, and waits until it has (about an
// election timeout at most) or until ctx ends; the transfer then goes on.
func (n *Node) TransferLeadership(ctx context.Context) error {
	if !n.isLeader() {
		return ErrNotLeader
	}
	if err := n.await(ctx, n.raft.LeadershipTransfer()); err != nil {
		if ctx.Err() != nil || errors.Is(err, ErrClosed) {
			return fmt.Errorf("replication: leadership transfer not awaited: %w", err)
		}
		return leaderErr(err)
	}
	return nil
}

// Snapshot takes a Raft snapshot now (and truncates the log behind it),
// waiting until it is written or until ctx ends (the snapshot then goes
// on).
func (n *Node) Snapshot(ctx context.Context) error {
	if err := n.await(ctx, n.raft.Snapshot()); err != nil {
		return fmt.Errorf("replication: snapshot: %w", err)
	}
	return nil
}

// await waits for a raft future, for ctx, or for the node to close
// (ErrClosed). Raft does not answer every future when it shuts down: a
// VerifyLeader request still queued when its run loop ends is never
// answered (raft 1.7.3 drains verifyCh only while it runs), so waiting on
// Error alone could hold Close forever. The goroutine that waits for the
// future ends when raft answers; in that one shutdown case it is left
// behind, which is better than a Close that never returns.
func (n *Node) await(ctx context.Context, f raft.Future) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-n.ctx.Done():
		return ErrClosed
	}
}
