package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/fleetdb-go/fleetdb/protocol"
)

// WatchOptions are the options of a watch (docs/changefeeds.md).
type WatchOptions struct {
	// Where is a condition as in find-options (anything encoding/json
	// marshals to one, e.g. []any{"<", "age", 30}); nil: every record.
	Where any
	// From, when HasFrom, is the position to resume after.
	From    uint64
	HasFrom bool
	// Initial asks for the matching records first, then a "ready" event.
	Initial bool
}

// Event is one event of a feed. Old and New are nil for null.
type Event struct {
	Position uint64          `json:"position"`
	Op       string          `json:"op"` // initial, ready, insert, update, delete, drop
	ID       json.RawMessage `json:"id,omitempty"`
	Old      json.RawMessage `json:"old,omitempty"`
	New      json.RawMessage `json:"new,omitempty"`
	// Raw is the event's JSON object as the server sent it.
	Raw json.RawMessage `json:"-"`
}

// Watch is an open change feed on its own connection (not one of the
// pool's). Next is called by one goroutine at a time.
type Watch struct {
	cn       *conn
	coll     string
	position uint64
	last     uint64
}

// Watch opens a feed of the changes to coll on a new connection. The
// server's refusal (for instance "History compacted: oldest position is
// N") is returned as an *Error.
func (c *Client) Watch(ctx context.Context, coll string, opts WatchOptions) (*Watch, error) {
	o := map[string]any{}
	if opts.Where != nil {
		o["where"] = opts.Where
	}
	if opts.HasFrom {
		o["from"] = opts.From
	}
	if opts.Initial {
		o["initial"] = true
	}
	req, err := appendRequest(nil, []any{"watch", coll, o})
	if err != nil {
		return nil, err
	}
	if c.isClosed() {
		return nil, ErrClosed
	}
	cn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	status, value, err := cn.roundTrip(ctx, req)
	if err == nil && status != protocol.StatusOK {
		err = serverError(status, value)
	}
	var first struct {
		Watching string `json:"watching"`
		Position uint64 `json:"position"`
	}
	if err == nil && json.Unmarshal(value, &first) != nil {
		err = fmt.Errorf("%w: watch answered %s", ErrUnexpectedResult, value)
	}
	if err != nil {
		cn.nc.Close()
		return nil, err
	}
	return &Watch{cn: cn, coll: coll, position: first.Position, last: first.Position}, nil
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// Position is the feed's start position: it sends the changes of the
// writes after it.
func (w *Watch) Position() uint64 { return w.position }

// Last is the position of the last event returned (the start position
// before any): a feed opened with From = Last continues this one.
func (w *Watch) Last() uint64 { return w.last }

// Next waits for the feed's next event. When the server ends the feed
// ("Watch fell behind: resume from N") it returns an *Error (status 2; see
// ResumeFrom). The end of ctx closes the feed's connection.
func (w *Watch) Next(ctx context.Context) (Event, error) {
	cn := w.cn
	stop, err := cn.begin(ctx)
	if err != nil {
		return Event{}, err
	}
	line, err := cn.r.ReadLine()
	cn.end(stop)
	if err != nil {
		if cerr := ctxError(ctx, err); cerr != nil {
			return Event{}, cerr
		}
		return Event{}, fmt.Errorf("client: watch: %w", err)
	}
	status, value, err := protocol.ParseResponse(line)
	if err != nil {
		return Event{}, fmt.Errorf("%w: %w", ErrUnexpectedResult, err)
	}
	if status != protocol.StatusOK {
		return Event{}, serverError(status, value)
	}
	var ev Event
	if err := json.Unmarshal(value, &ev); err != nil || ev.Op == "" {
		return Event{}, fmt.Errorf("%w: watch event %s", ErrUnexpectedResult, value)
	}
	ev.Raw = bytes.Clone(value)
	ev.Old, ev.New = nullable(ev.Old), nullable(ev.New)
	w.last = ev.Position
	return ev, nil
}

func nullable(r json.RawMessage) json.RawMessage {
	if string(r) == "null" {
		return nil
	}
	return r
}

// Close ends the feed and closes its connection.
func (w *Watch) Close() error { return w.cn.nc.Close() }

// ResumeFrom returns N of a "Watch fell behind: resume from N" error.
func ResumeFrom(err error) (uint64, bool) {
	var e *Error
	const prefix = "Watch fell behind: resume from "
	if !errors.As(err, &e) || !strings.HasPrefix(e.Message, prefix) {
		return 0, false
	}
	n, perr := strconv.ParseUint(e.Message[len(prefix):], 10, 64)
	return n, perr == nil
}
