package fleetdb

import (
	"context"
	"encoding/json"

	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/query"
)

// Snapshot is a read-only view of the database at one moment. It stays
// consistent while writes go on and costs nothing to hold: it shares the
// immutable value those writes replaced. Its reads fail with ErrClosed once
// the database is closed. It is safe for concurrent use.
type Snapshot struct {
	db *DB
	v  *dbvalue.Value
}

// Query runs a read query (docs/query-language.md) on the snapshot. Writes are refused.
func (s *Snapshot) Query(ctx context.Context, req []byte) ([]byte, error) {
	q, err := query.Parse(req)
	if err != nil {
		return nil, err
	}
	return s.run(ctx, q)
}

// check is what every read of a snapshot passes: ErrClosed once the
// database is closed, ErrUnavailable once ctx has ended.
func (s *Snapshot) check(ctx context.Context) error {
	if s.db.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return unavailable("fleetdb: query not run", err)
	}
	return nil
}

func (s *Snapshot) run(ctx context.Context, q query.Query) ([]byte, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	switch q.(type) {
	case query.Auth, query.Compact:
		return nil, &query.Error{Kind: query.KindMalformedQuery, Msg: "Malformed query: " + q.Name() + " is not a read"}
	}
	if q.IsWrite() {
		return nil, &query.Error{Kind: query.KindMalformedQuery, Msg: "Malformed query: a snapshot is read-only, " + q.Name() + " is a write"}
	}
	return query.Execute(nil, s.v, q, &s.db.env)
}

// Select returns the matching records (or projections, with Only).
func (s *Snapshot) Select(ctx context.Context, coll string, f Find) ([]json.RawMessage, error) {
	out, err := s.runJSON(ctx, "select", coll, f)
	if err != nil {
		return nil, err
	}
	return splitArray(out), nil
}

// SelectInto decodes the matching records into dest, a pointer to a slice.
func (s *Snapshot) SelectInto(ctx context.Context, coll string, f Find, dest any) error {
	out, err := s.runJSON(ctx, "select", coll, f)
	if err != nil {
		return err
	}
	return json.Unmarshal(out, dest)
}

// Count returns the number of matching records.
func (s *Snapshot) Count(ctx context.Context, coll string, f Find) (int, error) {
	out, err := s.runJSON(ctx, "count", coll, f)
	if err != nil {
		return 0, err
	}
	return decodeInt(out)
}

// Get returns the JSON of the record with the given id, or nil and no
// error if there is none (see DB.Get; GetInto returns ErrNotFound).
func (s *Snapshot) Get(ctx context.Context, coll string, id any) (json.RawMessage, error) {
	rec, found, err := s.record(ctx, coll, id)
	if err != nil || !found {
		return nil, err
	}
	return json.RawMessage(rec), nil
}

// ListCollections returns the names of the non-empty collections, sorted.
func (s *Snapshot) ListCollections(ctx context.Context) ([]string, error) {
	var names []string
	err := s.decode(ctx, query.ListCollections{}, &names)
	return names, err
}

// ListIndexes returns the index specs of a collection as given at creation.
func (s *Snapshot) ListIndexes(ctx context.Context, coll string) ([]json.RawMessage, error) {
	var specs []json.RawMessage
	err := s.decode(ctx, query.ListIndexes{Coll: coll}, &specs)
	return specs, err
}

func (s *Snapshot) decode(ctx context.Context, q query.Query, dest any) error {
	out, err := s.run(ctx, q)
	if err != nil {
		return err
	}
	return json.Unmarshal(out, dest)
}

func (s *Snapshot) runJSON(ctx context.Context, name, coll string, f Find) ([]byte, error) {
	_, q, err := buildQuery(name, coll, f)
	if err != nil {
		return nil, err
	}
	return s.run(ctx, q)
}
