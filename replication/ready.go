package replication

import (
	"context"
	"time"
)

// awaitReady makes the node ready once it can answer (docs/clustering.md): it is a
// member, knows the leader and has applied the leader's commit index as of
// now, which is exactly what a linearizable read barrier establishes. It
// runs on a goroutine of the node's from Open until then.
func (n *Node) awaitReady() {
	start := time.Now()
	for {
		ctx, cancel := context.WithTimeout(n.ctx, n.cfg.ApplyTimeout)
		err := n.ReadBarrier(ctx)
		cancel()
		if err == nil {
			n.log.Info("replication: caught up with the cluster", "applied", n.Applied(), "took", time.Since(start).Round(time.Millisecond))
			close(n.ready)
			return
		}
		n.log.Debug("replication: not caught up yet", "err", err)
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Ready reports whether the node has caught up with the cluster since it
// opened: it knows the leader and applied the leader's commit index as of
// then, so that its first write and linearizable read answer without
// waiting for a catch-up.
func (n *Node) Ready() bool {
	select {
	case <-n.ready:
		return true
	default:
		return false
	}
}

// WaitReady waits until the node is ready (see Ready). Errors: ctx's
// error, or ErrClosed.
func (n *Node) WaitReady(ctx context.Context) error {
	select {
	case <-n.ready:
		return nil
	case <-n.ctx.Done():
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}
