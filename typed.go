package fleetdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/fleetdb-go/fleetdb/internal/jsontext"
	prep "github.com/fleetdb-go/fleetdb/internal/records"
	"github.com/fleetdb-go/fleetdb/query"
)

// Cond is a where condition built in Go (Eq, Lt, In, And, ...). The zero
// Cond matches every record.
type Cond struct{ expr []any }

// Eq matches records whose attr equals v (missing equals nil).
func Eq(attr string, v any) Cond { return Cond{[]any{"=", attr, v}} }

// Ne matches records whose attr differs from v (missing included).
func Ne(attr string, v any) Cond { return Cond{[]any{"!=", attr, v}} }

// Lt matches attr < v within v's type class. Le, Gt, Ge likewise.
func Lt(attr string, v any) Cond { return Cond{[]any{"<", attr, v}} }

// Le matches attr <= v within v's type class.
func Le(attr string, v any) Cond { return Cond{[]any{"<=", attr, v}} }

// Gt matches attr > v within v's type class.
func Gt(attr string, v any) Cond { return Cond{[]any{">", attr, v}} }

// Ge matches attr >= v within v's type class.
func Ge(attr string, v any) Cond { return Cond{[]any{">=", attr, v}} }

// Bound is one end of a Range: Incl(v) includes v, Excl(v) leaves it out.
type Bound struct {
	v    any
	incl bool
}

// Incl is a bound of a Range that includes v.
func Incl(v any) Bound { return Bound{v: v, incl: true} }

// Excl is a bound of a Range that leaves v out.
func Excl(v any) Bound { return Bound{v: v} }

// Range matches records whose attr lies between lo and hi (within their
// type class), each end included or not as its Bound says:
//
//	fleetdb.Range("age", fleetdb.Incl(30), fleetdb.Excl(40)) // 30 <= age < 40
//
// It is the query language's "><", ">=<", "><=" and ">=<=" operators; an
// index on attr serves it.
func Range(attr string, lo, hi Bound) Cond {
	op := map[[2]bool]string{{false, false}: "><", {true, false}: ">=<", {false, true}: "><=", {true, true}: ">=<="}[[2]bool{lo.incl, hi.incl}]
	return Cond{[]any{op, attr, []any{lo.v, hi.v}}}
}

// Between matches lo <(=) attr <(=) hi; the flags say which ends are
// included.
//
// Deprecated: bare booleans do not say at the call site which end they
// include; use Range with Incl and Excl. Between(a, lo, hi, true, false)
// is Range(a, Incl(lo), Excl(hi)).
func Between(attr string, lo, hi any, loIncl, hiIncl bool) Cond {
	return Range(attr, Bound{v: lo, incl: loIncl}, Bound{v: hi, incl: hiIncl})
}

// In matches records whose attr equals one of vs.
func In(attr string, vs ...any) Cond { return Cond{[]any{"in", attr, vs}} }

// NotIn matches records whose attr equals none of vs.
func NotIn(attr string, vs ...any) Cond { return Cond{[]any{"not-in", attr, vs}} }

// And matches records matching every condition.
func And(cs ...Cond) Cond { return combine("and", cs) }

// Or matches records matching any condition.
func Or(cs ...Cond) Cond { return combine("or", cs) }

func combine(op string, cs []Cond) Cond {
	expr := []any{op}
	for _, c := range cs {
		expr = append(expr, c.expr)
	}
	return Cond{expr}
}

// MarshalJSON returns the condition in the query language
// (docs/query-language.md), e.g. ["=","name","Bob"]; the zero Cond, which
// matches every record, is null. So a Cond is also a condition for the
// client: client.FindOptions{Where: fleetdb.Eq("name", "Bob")}.
func (c Cond) MarshalJSON() ([]byte, error) { return jsontext.Marshal(c.expr) }

// Order is one sort key.
type Order struct {
	Attr string
	Desc bool
}

// Asc sorts by attr ascending; Desc descending.
func Asc(attr string) Order { return Order{Attr: attr} }

// Desc sorts by attr descending.
func Desc(attr string) Order { return Order{Attr: attr, Desc: true} }

// MarshalJSON returns the sort key in the query language, ["attr","asc"]
// or ["attr","desc"], so []Order is also an order for the client.
func (o Order) MarshalJSON() ([]byte, error) {
	dir := "asc"
	if o.Desc {
		dir = "desc"
	}
	return jsontext.Marshal([]string{o.Attr, dir})
}

// Find holds find-options. The zero Find selects every record.
//
// The Go client (package client) takes the same values: a Find marshals
// (MarshalJSON) to the query language's find-options, so it can be passed
// as the opts of client.Client's Select, Count, Update and Delete; and
// client.FindOptions has the same fields (Where, Order, Offset, Limit,
// Only, Distinct), so a literal such as
//
//	{Where: fleetdb.Eq("city", "Oslo"), Order: []fleetdb.Order{fleetdb.Desc("age")}, Limit: 10}
//
// is valid as either type and selects the same records.
type Find struct {
	Where  Cond
	Order  []Order
	Offset int
	Limit  int // 0: no limit
	// Only makes each result the array of these attributes' values.
	Only []string
	// Pluck makes each result the value of this one attribute (the
	// protocol's "only" with a single name). Only takes precedence.
	Pluck    string
	Distinct bool
}

// MarshalJSON returns the find-options object of the query language, e.g.
// {"where":["=","name","Bob"],"limit":10}.
func (f Find) MarshalJSON() ([]byte, error) { return jsontext.Marshal(f.options()) }

func (f Find) options() map[string]any {
	opts := map[string]any{}
	if f.Where.expr != nil {
		opts["where"] = f.Where.expr
	}
	if len(f.Order) > 0 {
		var order []any
		for _, o := range f.Order {
			dir := "asc"
			if o.Desc {
				dir = "desc"
			}
			order = append(order, []any{o.Attr, dir})
		}
		opts["order"] = order
	}
	if f.Offset > 0 {
		opts["offset"] = f.Offset
	}
	if f.Limit > 0 {
		opts["limit"] = f.Limit
	}
	if len(f.Only) > 0 {
		opts["only"] = f.Only
	} else if f.Pluck != "" {
		opts["only"] = f.Pluck
	}
	if f.Distinct {
		opts["distinct"] = true
	}
	return opts
}

// buildQuery marshals a query made of Go values and parses it, so typed
// calls get exactly the validation of the JSON language.
func buildQuery(parts ...any) ([]byte, query.Query, error) {
	if len(parts) == 3 {
		if f, ok := parts[2].(Find); ok {
			parts[2] = f.options()
		}
	}
	b, err := json.Marshal(parts)
	if err != nil {
		return nil, nil, &query.Error{Kind: query.KindMalformedQuery, Msg: "Malformed query: " + err.Error()}
	}
	q, err := query.Parse(b)
	return b, q, err
}

// IndexSpec is an index's components; a one-element ascending spec is the
// same index as the bare attribute name.
type IndexSpec []Order

func (s IndexSpec) json() any {
	var out []any
	for _, o := range s {
		dir := "asc"
		if o.Desc {
			dir = "desc"
		}
		out = append(out, []any{o.Attr, dir})
	}
	return out
}

// Insert adds records (Go values that marshal to JSON objects with an
// "id" attribute) and returns their number. A single slice or array
// argument stands for its elements: Insert(ctx, "people", people) inserts
// every element of people. A struct whose id is an exported field ID (or
// Id) without a json tag, which encoding/json would marshal as "ID", is
// stored with that attribute named "id". It fails as a whole on a missing
// or duplicated id; the error of a missing one says which record and what
// it has instead.
func (db *DB) Insert(ctx context.Context, coll string, records ...any) (int, error) {
	recs := prep.Prepare(records)
	n, err := db.runInt(ctx, "insert", coll, recs)
	return n, explainNoID("insert", coll, recs, err)
}

// Put inserts or wholly replaces records by id, with Insert's arguments.
func (db *DB) Put(ctx context.Context, coll string, records ...any) (int, error) {
	recs := prep.Prepare(records)
	n, err := db.runInt(ctx, "put", coll, recs)
	return n, explainNoID("put", coll, recs, err)
}

// explainNoID adds to a refusal for a missing id which record lacks one
// and why (see package internal/records); the error still matches ErrRefused and is a
// *query.Error for errors.As.
func explainNoID(op, coll string, recs []any, err error) error {
	if err == nil {
		return nil // without the errors.As below, whose target would escape on every insert
	}
	return explainRefusal(op, coll, recs, err)
}

func explainRefusal(op, coll string, recs []any, err error) error {
	var qe *query.Error
	if !errors.As(err, &qe) || qe.Kind != query.KindNoID {
		return err
	}
	if i, why, ok := prep.Diagnose(recs); ok {
		return fmt.Errorf("fleetdb: %s %s: record %d has no \"id\" attribute; %s: %w", op, coll, i, why, err)
	}
	return err
}

// UpdateWhere runs the query ["update", coll, changes, find]: it merges
// changes (a Go value marshaling to an object; nil values remove
// attributes) into every matching record and returns their number. (It was
// called Update before Update became the ad-hoc transaction.)
func (db *DB) UpdateWhere(ctx context.Context, coll string, changes any, f Find) (int, error) {
	return db.runInt(ctx, "update", coll, changes, f.options())
}

// Delete removes every matching record and returns their number.
func (db *DB) Delete(ctx context.Context, coll string, f Find) (int, error) {
	return db.runInt(ctx, "delete", coll, f.options())
}

// CreateIndex creates an index; it reports false if it already existed.
func (db *DB) CreateIndex(ctx context.Context, coll string, spec IndexSpec) (bool, error) {
	n, err := db.runInt(ctx, "create-index", coll, spec.json())
	return n == 1, err
}

// DropIndex drops an index; it reports false if there was none.
func (db *DB) DropIndex(ctx context.Context, coll string, spec IndexSpec) (bool, error) {
	n, err := db.runInt(ctx, "drop-index", coll, spec.json())
	return n == 1, err
}

// DropCollection removes a collection with its records and indexes.
func (db *DB) DropCollection(ctx context.Context, coll string) (bool, error) {
	n, err := db.runInt(ctx, "drop-collection", coll)
	return n == 1, err
}

// Select returns the matching records (or projections, with Only). Like
// every read of the database (Query, SelectInto, Count, Get,
// SnapshotContext) it fails with ErrClosed after Close and, on a cluster
// member, waits for the read barrier of ctx's read consistency.
func (db *DB) Select(ctx context.Context, coll string, f Find) ([]json.RawMessage, error) {
	s, err := db.SnapshotContext(ctx)
	if err != nil {
		return nil, err
	}
	return s.Select(ctx, coll, f)
}

// SelectInto decodes the matching records into dest, a pointer to a slice.
func (db *DB) SelectInto(ctx context.Context, coll string, f Find, dest any) error {
	s, err := db.SnapshotContext(ctx)
	if err != nil {
		return err
	}
	return s.SelectInto(ctx, coll, f, dest)
}

// Count returns the number of matching records.
func (db *DB) Count(ctx context.Context, coll string, f Find) (int, error) {
	s, err := db.SnapshotContext(ctx)
	if err != nil {
		return 0, err
	}
	return s.Count(ctx, coll, f)
}

// Get returns the JSON of the record with the given id. For a missing
// record it returns nil and no error, as a select that finds nothing
// returns an empty list; GetInto decodes the record into a Go value and
// returns ErrNotFound instead.
func (db *DB) Get(ctx context.Context, coll string, id any) (json.RawMessage, error) {
	v, err := db.readView(ctx)
	if err != nil {
		return nil, err
	}
	s := Snapshot{db: db, v: v} // on the stack: the result is Get's one allocation
	return s.Get(ctx, coll, id)
}

// Call runs a registered user command with Go arguments.
func (db *DB) Call(ctx context.Context, name string, args ...any) (json.RawMessage, error) {
	req, q, err := buildQuery(append([]any{"call", name}, args...)...)
	if err != nil {
		return nil, err
	}
	out, err := db.run(ctx, req, q)
	return json.RawMessage(out), err
}

func (db *DB) runInt(ctx context.Context, parts ...any) (int, error) {
	if db.closed.Load() {
		return 0, ErrClosed
	}
	req, q, err := buildQuery(parts...)
	if err != nil {
		return 0, err
	}
	out, err := db.run(ctx, req, q)
	if err != nil {
		return 0, err
	}
	return decodeInt(out)
}

func decodeInt(out []byte) (int, error) {
	n, err := strconv.Atoi(string(out))
	if err != nil {
		return 0, fmt.Errorf("fleetdb: unexpected result %q: %w", out, err)
	}
	return n, nil
}
