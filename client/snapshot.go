package client

import (
	"context"
	"encoding/json"
	"fmt"
)

// Snapshot is a pinned snapshot on the server (docs/changefeeds.md): reads through it
// see the database as it was when it was opened, on that server.
type Snapshot struct {
	ID       string `json:"snapshot"`
	Position uint64 `json:"position"`
}

// SnapshotOpen pins the server's current value for ttlSeconds after its
// last use (0: the server's default, 60).
func (c *Client) SnapshotOpen(ctx context.Context, ttlSeconds int) (Snapshot, error) {
	q := []any{"snapshot-open"}
	if ttlSeconds > 0 {
		q = append(q, ttlSeconds)
	}
	out, err := c.Query(ctx, q)
	if err != nil {
		return Snapshot{}, err
	}
	var s Snapshot
	if err := json.Unmarshal(out, &s); err != nil || s.ID == "" {
		return Snapshot{}, fmt.Errorf("%w: snapshot-open answered %s", ErrUnexpectedResult, out)
	}
	return s, nil
}

// SnapshotRead runs a read query (select, count, explain,
// list-collections, list-indexes, multi-read) on the pinned snapshot id.
func (c *Client) SnapshotRead(ctx context.Context, id string, q any) (json.RawMessage, error) {
	return c.Query(ctx, []any{"snapshot-read", id, q})
}

// SnapshotClose releases the pin; it reports whether it was open.
func (c *Client) SnapshotClose(ctx context.Context, id string) (bool, error) {
	out, err := c.Query(ctx, []any{"snapshot-close", id})
	if err != nil {
		return false, err
	}
	switch string(out) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%w: snapshot-close answered %s", ErrUnexpectedResult, out)
}
