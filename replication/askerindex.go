package replication

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/hashicorp/raft"
)

// A follower's read index when the follower is one of the majority (see
// "A follower's read index" in doc.go for why it is linearizable): the
// follower names itself in its request; when it and the leader make a
// majority of the leader's voters, the leader answers its commit index
// and term without confirming its leadership with anyone, and the
// follower takes the answer only if its own term is still that term.

// askedReadIndex answers a follower's read-index request (opReadIndex).
// asker is the id the follower sent ("" from an older member). When the
// asker completes a majority with this node, term is the term in which
// index was recorded and the asker must check it (checkAnswerTerm);
// otherwise term is 0 and index was confirmed by a majority.
func (n *Node) askedReadIndex(ctx context.Context, asker raft.ServerID) (index, term uint64, err error) {
	if asker == "" || !n.completesMajority(asker) {
		index, err = n.leaderReads.get(ctx)
		return index, 0, err
	}
	term = n.raft.CurrentTerm()
	if !n.isLeader() {
		return 0, 0, ErrNotLeader
	}
	if n.fsm.progress.term.Load() < term {
		wctx, cancel := context.WithTimeout(ctx, n.cfg.ApplyTimeout)
		err := n.fsm.progress.waitTerm(wctx, term)
		cancel()
		if err != nil {
			return 0, 0, fmt.Errorf("%w: no entry of term %d applied yet: %w", ErrNotLeader, term, err)
		}
	}
	index, ok := n.indexOfTerm(term)
	if !ok {
		return 0, 0, fmt.Errorf("%w: the term changed", ErrNotLeader)
	}
	return index, term, nil
}

// indexOfTerm records the commit index as the leader of term, which has
// applied an entry of term: false if the term changed meanwhile.
func (n *Node) indexOfTerm(term uint64) (uint64, bool) {
	index := n.raft.CommitIndex()
	return index, n.raft.CurrentTerm() == term
}

// quickReadIndex is askedReadIndex when it need not wait (for a round or
// for an entry of the term to be applied): ok false if it would.
func (n *Node) quickReadIndex(asker raft.ServerID) (index, term uint64, ok bool) {
	term = n.raft.CurrentTerm()
	if asker == "" || !n.isLeader() || n.fsm.progress.term.Load() < term || !n.completesMajority(asker) {
		return 0, 0, false
	}
	index, ok = n.indexOfTerm(term)
	return index, term, ok
}

// completesMajority reports whether asker, another voter of this node's
// latest configuration, makes a majority of its voters with this node
// (also a voter): with two or three voters.
func (n *Node) completesMajority(asker raft.ServerID) bool {
	if asker == n.self {
		return false
	}
	cf := n.raft.GetConfiguration()
	if cf.Error() != nil {
		return false
	}
	voters, self, other := 0, false, false
	for _, s := range cf.Configuration().Servers {
		if s.Suffrage != raft.Voter {
			continue
		}
		voters++
		switch s.ID {
		case n.self:
			self = true
		case asker:
			other = true
		}
	}
	return self && other && 2 > voters/2
}

// readIndexAnswer encodes an answer of askedReadIndex: the index, then
// the term the asker must check unless it is 0.
func readIndexAnswer(index, term uint64) []byte {
	b := binary.AppendUvarint(make([]byte, 0, 2*binary.MaxVarintLen64), index)
	if term != 0 {
		b = binary.AppendUvarint(b, term)
	}
	return b
}

// parseReadIndexAnswer decodes a leader's read-index answer and, when it
// carries a term, checks that this node's current term is still that
// term (ErrNotLeader otherwise): it must be called after the answer
// arrived. A numbered answer (echo.go) is recorded as seen.
func (n *Node) parseReadIndexAnswer(answer []byte) (uint64, error) {
	index, k := binary.Uvarint(answer)
	if k <= 0 {
		return 0, fmt.Errorf("%w: read index answer", ErrCorrupt)
	}
	if rest := answer[k:]; len(rest) > 0 {
		term, k := binary.Uvarint(rest)
		if k <= 0 {
			return 0, fmt.Errorf("%w: read index answer's term", ErrCorrupt)
		}
		if rest = rest[k:]; len(rest) > 0 {
			if seq, k := binary.Uvarint(rest); k > 0 {
				n.sawAnswer(term, seq)
			}
		}
		if now := n.raft.CurrentTerm(); now != term {
			return 0, fmt.Errorf("%w: the term changed (%d, read index of term %d)", ErrNotLeader, now, term)
		}
	}
	return index, nil
}
