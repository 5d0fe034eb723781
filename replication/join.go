package replication

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/fleetdb-go/fleetdb/client"
)

// joinVia asks the member serving the FleetDB protocol at clientAddr to
// admit this node: ["cluster-join", id, raft-addr, client-addr]. It retries
// failures that may pass (the member unreachable, status 2) until ctx ends
// or a minute has passed; a refusal (status 1) ends it.
func (n *Node) joinVia(ctx context.Context, clientAddr string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := json.Marshal([]string{"cluster-join", n.cfg.NodeID, string(n.addr), n.cfg.ClientAddr})
	if err != nil {
		return err
	}
	backoff := 50 * time.Millisecond
	start := time.Now()
	for {
		err := n.askToJoin(ctx, clientAddr, req)
		if err == nil {
			n.log.Info("replication: joined the cluster", "via", clientAddr)
			return nil
		}
		var refused *refusedError
		if errors.As(err, &refused) {
			return fmt.Errorf("replication: join via %s: %w", clientAddr, err)
		}
		// Members started together: the one asked may not listen yet.
		level := slog.LevelInfo
		if time.Since(start) > joinPatience {
			level = slog.LevelWarn
		}
		n.log.Log(ctx, level, "replication: join failed; retrying", "via", clientAddr, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("replication: join via %s: %w (last error: %w)", clientAddr, ctx.Err(), err)
		case <-time.After(backoff):
			backoff = min(2*backoff, time.Second)
		}
	}
}

// joinPatience: join attempts that fail for longer than this are logged
// as warnings (before, as information: members started at once).
const joinPatience = 10 * time.Second

type refusedError struct{ msg string }

func (e *refusedError) Error() string { return "refused: " + e.msg }

// askToJoin makes one attempt: connect (authenticating if configured),
// send the join query, read its answer. A refusal, of the password or of
// the join, is a *refusedError; anything else may pass.
func (n *Node) askToJoin(ctx context.Context, addr string, req []byte) error {
	opts := []client.Option{client.WithPassword(n.cfg.JoinPassword)}
	if n.cfg.JoinTLS != nil {
		opts = append(opts, client.WithTLS(n.cfg.JoinTLS))
	}
	st, err := client.DialStream(ctx, addr, opts...)
	if err != nil {
		if errors.Is(err, client.ErrAuth) {
			return &refusedError{msg: err.Error()}
		}
		return err
	}
	defer st.Close()
	if dl, ok := ctx.Deadline(); ok {
		st.SetDeadline(dl)
	}
	_, err = st.Query(json.RawMessage(req))
	var ce *client.Error
	if errors.As(err, &ce) && client.IsRefused(ce) {
		return &refusedError{msg: ce.Message}
	}
	return err
}
