package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/fleetdb-go/fleetdb/internal/jsontext"
	prep "github.com/fleetdb-go/fleetdb/internal/records"
	"github.com/fleetdb-go/fleetdb/protocol"
)

// The typed helpers below build the query arrays of docs/query-language.md and decode
// their results; everything else (multi-read, multi-write, checked-write,
// call, clear, ...) goes through Query. Their opts argument is the query's
// <find-options>: nil for none, a FindOptions or *FindOptions, a
// fleetdb.Find (the embedded API's options, which marshal to the same
// object), a map[string]any, or a json.RawMessage.

// FindOptions is the <find-options> object of select, count, update and
// delete. Zero fields are left out.
//
// Its fields are those of the embedded API's fleetdb.Find, and they take
// that package's values: a fleetdb.Cond (fleetdb.Eq, fleetdb.Range,
// fleetdb.And, ...) as Where and a []fleetdb.Order as Order marshal to the
// query language, so the same literal, e.g.
//
//	{Where: fleetdb.Eq("city", "Oslo"), Order: []fleetdb.Order{fleetdb.Desc("age")}, Limit: 10}
//
// is a FindOptions and a fleetdb.Find, and selects the same records. (A
// fleetdb.Find can also be passed as opts as it is.) Plain Go values work
// too: Where: []any{"=", "city", "Oslo"}.
type FindOptions struct {
	// Where is a condition, e.g. []any{"=", "name", "Bob"} or
	// fleetdb.Eq("name", "Bob"). A value that marshals to null (the zero
	// fleetdb.Cond, which matches every record) is left out.
	Where any `json:"where,omitempty"`
	// Order is []any{attr, "asc"|"desc"}, a list of those, or
	// []fleetdb.Order.
	Order any `json:"order,omitempty"`
	// Offset skips that many results.
	Offset int `json:"offset,omitempty"`
	// Limit keeps at most that many results. Zero means no limit: to send
	// "limit": 0 (which always gives nothing), use a map.
	Limit int `json:"limit,omitempty"`
	// Only is an attribute name or a list of them.
	Only any `json:"only,omitempty"`
	// Distinct drops results equal to an earlier one.
	Distinct bool `json:"distinct,omitempty"`
}

// MarshalJSON returns the find-options object, leaving out zero fields and
// a Where, Order or Only that marshals to null (a nil slice, the zero
// fleetdb.Cond).
func (o FindOptions) MarshalJSON() ([]byte, error) {
	type plain FindOptions // without this method
	p := plain(o)
	var err error
	if p.Where, err = nullToNil(p.Where); err != nil {
		return nil, fmt.Errorf("where: %w", err)
	}
	if p.Order, err = nullToNil(p.Order); err != nil {
		return nil, fmt.Errorf("order: %w", err)
	}
	if p.Only, err = nullToNil(p.Only); err != nil {
		return nil, fmt.Errorf("only: %w", err)
	}
	return jsontext.Marshal(p)
}

// nullToNil returns nil for a value that marshals to null (so omitempty
// leaves it out), else the value marshaled.
func nullToNil(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := jsontext.Marshal(v)
	if err != nil || string(b) == "null" {
		return nil, err
	}
	return json.RawMessage(b), nil
}

// Info is the result of ["info"].
type Info struct {
	Version    string `json:"fleetdb-version"`
	Persistent bool   `json:"persistent"`
	// DBFileSize and Compacting are reported by persistent servers only.
	DBFileSize int64 `json:"db-file-size"`
	Compacting bool  `json:"compacting"`
	// Raw is the whole object, with any keys beyond those above.
	Raw json.RawMessage `json:"-"`
}

var pingRequest = []byte("[\"ping\"]\r\n")

// Ping sends ["ping"] and checks that the answer is "pong".
func (c *Client) Ping(ctx context.Context) error {
	v, err := c.do(ctx, pingRequest)
	if err != nil {
		return err
	}
	if string(v) != `"pong"` {
		return fmt.Errorf("%w: ping answered %s", ErrUnexpectedResult, v)
	}
	return nil
}

// Insert sends ["insert", coll, [records...]] and returns the number of
// records inserted. It is all or nothing: a duplicated id or a record without
// id fails the whole batch with an *Error. With no records it sends nothing
// and returns 0.
//
// Records are taken as the embedded fleetdb.DB.Insert takes them: a single
// slice or array argument stands for its elements (Insert(ctx, "people",
// people) inserts every element of people), and a struct whose id is an
// exported field ID or Id without a json tag is sent with that attribute
// named "id". When the server refuses a record without an id, the error
// (still an *Error for errors.As) says which record and what it has
// instead.
func (c *Client) Insert(ctx context.Context, coll string, records ...any) (int, error) {
	return c.write(ctx, "insert", coll, records)
}

// Put sends ["put", coll, [records...]], which inserts or wholly replaces
// records by id, and returns the number written. It takes records as Insert
// does. With no records it sends nothing and returns 0.
func (c *Client) Put(ctx context.Context, coll string, records ...any) (int, error) {
	return c.write(ctx, "put", coll, records)
}

// write sends an insert or put of records (see Insert).
func (c *Client) write(ctx context.Context, op, coll string, records []any) (int, error) {
	recs := prep.Prepare(records)
	if len(recs) == 0 {
		return 0, nil
	}
	n, err := c.queryInt(ctx, []any{op, coll, recs})
	var e *Error
	if errors.As(err, &e) && e.Message == protocol.MsgNoID {
		if i, why, ok := prep.Diagnose(recs); ok {
			return n, fmt.Errorf("client: %s %s: record %d has no \"id\" attribute; %s: %w", op, coll, i, why, err)
		}
	}
	return n, err
}

// Select sends ["select", coll, opts] and returns the records (or the
// projections asked for with Only), each as its JSON text.
func (c *Client) Select(ctx context.Context, coll string, opts any) ([]json.RawMessage, error) {
	v, err := c.Query(ctx, withOpts([]any{"select", coll}, opts))
	if err != nil {
		return nil, err
	}
	var out []json.RawMessage
	if err := json.Unmarshal(v, &out); err != nil {
		return nil, fmt.Errorf("%w: select answered %.64s", ErrUnexpectedResult, v)
	}
	return out, nil
}

// Count sends ["count", coll, opts] and returns the number of matching
// records.
func (c *Client) Count(ctx context.Context, coll string, opts any) (int, error) {
	return c.queryInt(ctx, withOpts([]any{"count", coll}, opts))
}

// Update sends ["update", coll, changes, opts] and returns the number of
// records updated. changes is an object merged into each matching record; a
// nil value in it removes that attribute.
func (c *Client) Update(ctx context.Context, coll string, changes any, opts any) (int, error) {
	return c.queryInt(ctx, withOpts([]any{"update", coll, changes}, opts))
}

// Delete sends ["delete", coll, opts] and returns the number of records
// deleted. With nil opts it deletes every record of the collection.
func (c *Client) Delete(ctx context.Context, coll string, opts any) (int, error) {
	return c.queryInt(ctx, withOpts([]any{"delete", coll}, opts))
}

// CreateIndex sends ["create-index", coll, spec] and reports whether the
// index was created (false: it already existed). spec is an attribute name
// or a list of components, e.g. []any{"city", []any{"age", "desc"}}.
func (c *Client) CreateIndex(ctx context.Context, coll string, spec any) (bool, error) {
	return c.queryFlag(ctx, []any{"create-index", coll, spec})
}

// DropIndex sends ["drop-index", coll, spec] and reports whether there was
// such an index.
func (c *Client) DropIndex(ctx context.Context, coll string, spec any) (bool, error) {
	return c.queryFlag(ctx, []any{"drop-index", coll, spec})
}

// DropCollection sends ["drop-collection", coll] and reports whether the
// collection existed.
func (c *Client) DropCollection(ctx context.Context, coll string) (bool, error) {
	return c.queryFlag(ctx, []any{"drop-collection", coll})
}

// ListCollections sends ["list-collections"] and returns the names of the
// non-empty collections, sorted.
func (c *Client) ListCollections(ctx context.Context) ([]string, error) {
	v, err := c.Query(ctx, json.RawMessage(`["list-collections"]`))
	if err != nil {
		return nil, err
	}
	var out []string
	if err := json.Unmarshal(v, &out); err != nil {
		return nil, fmt.Errorf("%w: list-collections answered %.64s", ErrUnexpectedResult, v)
	}
	return out, nil
}

// ListIndexes sends ["list-indexes", coll] and returns the index specs as
// they were given at creation.
func (c *Client) ListIndexes(ctx context.Context, coll string) ([]json.RawMessage, error) {
	v, err := c.Query(ctx, []any{"list-indexes", coll})
	if err != nil {
		return nil, err
	}
	var out []json.RawMessage
	if err := json.Unmarshal(v, &out); err != nil {
		return nil, fmt.Errorf("%w: list-indexes answered %.64s", ErrUnexpectedResult, v)
	}
	return out, nil
}

// Info sends ["info"] and decodes the answer.
func (c *Client) Info(ctx context.Context) (Info, error) {
	v, err := c.Query(ctx, json.RawMessage(`["info"]`))
	if err != nil {
		return Info{}, err
	}
	var info Info
	if err := json.Unmarshal(v, &info); err != nil {
		return Info{}, fmt.Errorf("%w: info answered %.64s", ErrUnexpectedResult, v)
	}
	info.Raw = v
	return info, nil
}

// Explain sends ["explain", q] and returns the plan of q, a select, count,
// update or delete query such as []any{"select", "people", opts}.
func (c *Client) Explain(ctx context.Context, q any) (json.RawMessage, error) {
	return c.Query(ctx, []any{"explain", q})
}

// Compact sends ["compact"] and reports whether a background compaction
// started (false: one is running already, or the database is ephemeral).
func (c *Client) Compact(ctx context.Context) (bool, error) {
	v, err := c.Query(ctx, json.RawMessage(`["compact"]`))
	if err != nil {
		return false, err
	}
	var started bool
	if err := json.Unmarshal(v, &started); err != nil {
		return false, fmt.Errorf("%w: compact answered %.64s", ErrUnexpectedResult, v)
	}
	return started, nil
}

// withOpts appends opts to q unless it is nil.
func withOpts(q []any, opts any) []any {
	switch o := opts.(type) {
	case nil:
		return q
	case *FindOptions:
		if o == nil {
			return q
		}
	case map[string]any:
		if o == nil {
			return q
		}
	case json.RawMessage:
		if o == nil {
			return q
		}
	}
	return append(q, opts)
}

// queryInt runs q and decodes an integer result.
func (c *Client) queryInt(ctx context.Context, q any) (int, error) {
	v, err := c.Query(ctx, q)
	if err != nil {
		return 0, err
	}
	var n int
	if err := json.Unmarshal(v, &n); err != nil {
		return 0, fmt.Errorf("%w: expected an integer, got %.64s", ErrUnexpectedResult, v)
	}
	return n, nil
}

// queryFlag runs q, whose result is 1 or 0, and returns it as a bool.
func (c *Client) queryFlag(ctx context.Context, q any) (bool, error) {
	n, err := c.queryInt(ctx, q)
	if err != nil {
		return false, err
	}
	if n != 0 && n != 1 {
		return false, fmt.Errorf("%w: expected 0 or 1, got %d", ErrUnexpectedResult, n)
	}
	return n == 1, nil
}
