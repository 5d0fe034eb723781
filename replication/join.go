package replication

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/fleetdb-go/fleetdb/protocol"
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
		n.log.Warn("replication: join failed; retrying", "via", clientAddr, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("replication: join via %s: %w (last error: %w)", clientAddr, ctx.Err(), err)
		case <-time.After(backoff):
			backoff = min(2*backoff, time.Second)
		}
	}
}

type refusedError struct{ msg string }

func (e *refusedError) Error() string { return "refused: " + e.msg }

// askToJoin makes one attempt: dial, authenticate if configured, send the
// join query, read its answer.
func (n *Node) askToJoin(ctx context.Context, addr string, req []byte) error {
	var d net.Dialer
	var c net.Conn
	var err error
	if n.cfg.JoinTLS != nil {
		c, err = (&tls.Dialer{NetDialer: &d, Config: n.cfg.JoinTLS}).DialContext(ctx, "tcp", addr)
	} else {
		c, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	w := protocol.NewWriter(c)
	r := protocol.NewReader(c, protocol.ReaderOptions{})
	exchange := func(line []byte) (protocol.Status, json.RawMessage, error) {
		if err := w.WriteLine(line); err != nil {
			return 0, nil, err
		}
		if err := w.Flush(); err != nil {
			return 0, nil, err
		}
		resp, err := r.ReadLine()
		if err != nil {
			return 0, nil, err
		}
		return protocol.ParseResponse(resp)
	}
	if pw := n.cfg.JoinPassword; pw != "" {
		auth, _ := json.Marshal([]string{"auth", pw})
		status, v, err := exchange(auth)
		if err != nil {
			return err
		}
		if status != protocol.StatusOK {
			return &refusedError{msg: string(v)}
		}
	}
	status, v, err := exchange(req)
	if err != nil {
		return err
	}
	switch status {
	case protocol.StatusOK:
		return nil
	case protocol.StatusRefused:
		return &refusedError{msg: string(v)}
	}
	return fmt.Errorf("the member answered %s", v)
}
