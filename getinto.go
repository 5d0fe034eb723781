package fleetdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/fleetdb-go/fleetdb/internal/jsontext"
	"github.com/fleetdb-go/fleetdb/query"
)

// GetInto decodes the record with the given id into dest (as
// json.Unmarshal does). Without such a record it returns ErrNotFound and
// leaves dest as it was:
//
//	var p Person
//	err := db.GetInto(ctx, "people", 7, &p)
//	if errors.Is(err, fleetdb.ErrNotFound) { ... }
func (db *DB) GetInto(ctx context.Context, coll string, id, dest any) error {
	v, err := db.readView(ctx)
	if err != nil {
		return err
	}
	s := Snapshot{db: db, v: v}
	return s.GetInto(ctx, coll, id, dest)
}

// GetInto decodes the record with the given id into dest (as json.Unmarshal
// does), or returns ErrNotFound and leaves dest as it was. The record is
// decoded from its stored bytes, with no result value in between.
func (s *Snapshot) GetInto(ctx context.Context, coll string, id, dest any) error {
	rec, found, err := s.record(ctx, coll, id)
	if err != nil {
		return err
	}
	if !found {
		return notFound(coll, id)
	}
	bp := decodeBufs.Get().(*[]byte)
	buf := append((*bp)[:0], rec...) // json.Unmarshal reads bytes; it keeps none of them
	err = json.Unmarshal(buf, dest)
	if cap(buf) <= 64<<10 {
		*bp = buf
		decodeBufs.Put(bp)
	}
	if err != nil {
		return fmt.Errorf("fleetdb: decoding %s record %v: %w", coll, id, err)
	}
	return nil
}

// ErrNotFound is returned by GetInto (of DB, Snapshot and Tx) when there is
// no record with the id asked for; test it with errors.Is. It is not a
// refusal and not a failure: it matches neither ErrRefused nor
// ErrUnavailable. Get, which returns the record's JSON, answers nil and no
// error instead, as a select that finds nothing answers an empty list.
var ErrNotFound = errors.New("fleetdb: record not found")

// notFound wraps ErrNotFound with the collection and id.
func notFound(coll string, id any) error {
	return fmt.Errorf("%w: %s id %v", ErrNotFound, coll, id)
}

// GetInto decodes the record with the given id as the transaction sees it
// into dest, or returns ErrNotFound (see DB.GetInto).
func (t *Tx) GetInto(coll string, id, dest any) error {
	rec, err := t.Get(coll, id)
	if err != nil {
		return err
	}
	if rec == nil {
		return notFound(coll, id)
	}
	if err := json.Unmarshal(rec, dest); err != nil {
		return fmt.Errorf("fleetdb: decoding %s record %v: %w", coll, id, err)
	}
	return nil
}

// decodeBufs holds scratch copies of records for GetInto.
var decodeBufs = sync.Pool{New: func() any { return new([]byte) }}

// record returns the stored JSON of the record with the given id. Ids that
// are Go numbers or strings are encoded and looked up directly (query.AppendID
// gives the encoding a marshaled and parsed select would use); others take
// that select.
func (s *Snapshot) record(ctx context.Context, coll string, id any) (string, bool, error) {
	var buf [64]byte
	if enc, ok := query.AppendID(buf[:0], id); ok && coll != "" {
		if err := s.check(ctx); err != nil {
			return "", false, err
		}
		rec, found := query.Get(s.v, coll, string(enc))
		return rec, found, nil
	}
	recs, err := s.Select(ctx, coll, Find{Where: Eq("id", id)})
	if err != nil || len(recs) == 0 {
		return "", false, err
	}
	return string(recs[0]), true, nil
}

// splitArray returns the elements of a select's result, a JSON array in
// compact form, as slices of it: one buffer for all of them, where
// json.Unmarshal into []json.RawMessage copied each and went through
// reflection. Each element's capacity ends with it, so appending to one
// never overwrites the next.
func splitArray(out []byte) []json.RawMessage {
	recs := []json.RawMessage{} // an empty result is an empty slice, as Unmarshal made it
	i := jsontext.SkipSpace(out, 1)
	for i < len(out) && out[i] != ']' {
		end := jsontext.ValueEnd(out, i)
		recs = append(recs, out[i:end:end])
		i = jsontext.SkipSpace(out, end)
		if i < len(out) && out[i] == ',' {
			i = jsontext.SkipSpace(out, i+1)
		}
	}
	return recs
}
