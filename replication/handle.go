package replication

import (
	"context"
	"encoding/binary"
	"fmt"
)

// handleQuick answers, on the connection's goroutine and without waiting,
// what handle would: a ping, a confirmation, and a read index that needs
// no round (askerindex.go); ok false for anything else, and once the node
// closes.
func (n *Node) handleQuick(op byte, payload []byte) (status byte, answer []byte, ok bool) {
	if n.ctx.Err() != nil {
		return 0, nil, false
	}
	switch op {
	case opPing:
		return stOK, nil, true
	case opConfirm:
		return stOK, binary.AppendUvarint(nil, n.raft.CurrentTerm()), true
	case opReadIndex:
		asker, echo := splitAsk(payload)
		if index, term, ok := n.quickReadIndex(asker); ok {
			if echo == nil {
				return stOK, readIndexAnswer(index, term), true
			}
			answer := n.numberedAnswer(index, term)
			n.echoed(term, echo)
			return stOK, answer, true
		}
	}
	return 0, nil, false
}

// handle answers a request forwarded by another member. A ping or a
// leadership confirmation (opConfirm) is answered by any member; every
// other request only by the leader (elsewhere: stNotLeader). It runs on a
// goroutine of the transport's, registered with the node so that Close
// waits for it.
func (n *Node) handle(ctx context.Context, op byte, payload []byte) (byte, []byte) {
	if !n.enter() {
		return stNotLeader, nil // closing: nothing done, ask again elsewhere
	}
	defer n.wg.Done()
	switch op {
	case opPing:
		return stOK, nil
	case opConfirm:
		return stOK, binary.AppendUvarint(nil, n.raft.CurrentTerm())
	}
	if !n.isLeader() {
		return stNotLeader, nil
	}
	switch op {
	case opWrite, opReadIndex:
		// Bounded without a context of their own: a commit by
		// ApplyTimeout and the node's close (applyEntry), a round by its
		// own deadline.
	default:
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.cfg.ApplyTimeout)
		defer cancel()
		stop := context.AfterFunc(n.ctx, cancel)
		defer stop()
	}
	switch op {
	case opWrite:
		if len(payload) == 0 || payload[0] != entryWrites {
			return stFailed, []byte("not a writes entry")
		}
		return n.mergeForwarded(ctx, payload[1:])
	case opMember:
		if len(payload) == 0 || payload[0] != entryMember {
			return stFailed, []byte("not a member entry")
		}
		_, _, err := n.applyEntry(ctx, payload)
		return statusOf(err)
	case opReadIndex:
		asker, echo := splitAsk(payload)
		index, term, err := n.askedReadIndex(ctx, asker)
		if err != nil {
			return statusOf(err)
		}
		if term != 0 && echo != nil {
			// The asker completes a majority with this node (askedReadIndex
			// gave a term to check): its echo counts (echo.go).
			answer := n.numberedAnswer(index, term)
			n.echoed(term, echo)
			return stOK, answer
		}
		return stOK, readIndexAnswer(index, term)
	case opJoin:
		d := decoder{b: payload}
		id, raftAddr, clientAddr := string(d.bytes()), string(d.bytes()), string(d.bytes())
		if err := d.finish("join request"); err != nil {
			return statusOf(err)
		}
		return statusOf(n.joinLocal(ctx, id, raftAddr, clientAddr))
	case opRemove:
		d := decoder{b: payload}
		id := string(d.bytes())
		if err := d.finish("remove request"); err != nil {
			return statusOf(err)
		}
		return statusOf(n.removeLocal(ctx, id))
	}
	return stFailed, []byte(fmt.Sprintf("unknown operation %q", op))
}
