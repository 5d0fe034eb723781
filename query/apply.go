package query

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/fleetdb-go/fleetdb/collection"
	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/index"
	"github.com/tidwall/gjson"
)

// Apply applies a write query to a transaction and appends its JSON result
// to dst. It is a deterministic function of the transaction's state and the
// query: the log replay, the Raft state machine and the live write path all
// call it.
//
// A write either happens whole or not at all: simple writes check every
// constraint before changing anything, and multi-write, checked-write and
// call run under a savepoint that is rolled back on error. So a failed
// write leaves the transaction exactly as it was, and the other writes of
// the same batch are not disturbed.
//
// Read queries are allowed and see the transaction's current state (used
// inside multi-write).
func Apply(dst []byte, txn *dbvalue.Txn, q Query, env *Env) ([]byte, error) {
	fx := effectsOf(env)
	switch q := q.(type) {
	case Insert:
		return applyInsert(dst, txn, q, fx, runnerOf(env))
	case Put:
		c := txn.Collection(q.Coll)
		if err := checkBatchIDs(q.Records, nil); err != nil {
			return nil, err
		}
		e, log := txn.Edit(), txn.Log(q.Coll)
		for _, r := range q.Records {
			c = c.Put(e, r.ID, r.JSON, log)
		}
		txn.SetCollection(q.Coll, c)
		if fx != nil {
			fx.insert("put", q.Coll, q.Records)
		}
		return strconv.AppendInt(dst, int64(len(q.Records)), 10), nil
	case Update:
		return applyUpdate(dst, txn, q, fx), nil
	case Delete:
		c := txn.Collection(q.Coll)
		ids := PlanFind(q.Coll, c, q.Find).IDs()
		var old []string
		e, log := txn.Edit(), txn.Log(q.Coll)
		for _, id := range ids {
			if fx != nil {
				r, _ := c.Get(id)
				old = append(old, r)
			}
			c = c.Delete(e, id, log)
		}
		txn.SetCollection(q.Coll, c)
		if fx != nil {
			fx.delete(q.Coll, old)
		}
		return strconv.AppendInt(dst, int64(len(ids)), 10), nil
	case CreateIndex:
		c, created := txn.Collection(q.Coll).CreateIndex(txn.Edit(), q.Spec)
		txn.SetCollection(q.Coll, c)
		if fx != nil && created {
			fx.index("create-index", q.Coll, q.Spec.Raw())
		}
		return appendBit(dst, created), nil
	case DropIndex:
		c, dropped := txn.Collection(q.Coll).DropIndex(txn.Edit(), q.Spec.Key())
		txn.SetCollection(q.Coll, c)
		if fx != nil && dropped {
			fx.index("drop-index", q.Coll, q.Spec.Raw())
		}
		return appendBit(dst, dropped), nil
	case DropCollection:
		dropped := txn.DropCollection(q.Coll)
		if fx != nil && dropped {
			fx.dropCollection(q.Coll)
		}
		return appendBit(dst, dropped), nil
	case Clear:
		n := txn.Clear()
		if fx != nil {
			fx.clear(n)
		}
		return strconv.AppendInt(dst, int64(n), 10), nil
	case MultiWrite:
		return applyMulti(dst, txn, q, env)
	case CheckedWrite:
		return applyChecked(dst, txn, q, env)
	case Call:
		return applyCall(dst, txn, q, env)
	case Compact, Auth:
		return nil, fmt.Errorf("query: %s cannot be applied to a value", q.Name())
	}
	return Execute(dst, txn.View(), q, env)
}

func appendBit(dst []byte, b bool) []byte {
	if b {
		return append(dst, '1')
	}
	return append(dst, '0')
}

// checkBatchIDs reports the first id, in the batch's order, repeated in
// the batch or, when c is not nil, present in c.
//
// A batch of at least sortedCheck records is checked sorted first: a copy
// of its ids, sorted, has its repeats side by side, and the collection
// looks them up in one batch (collection.HasAny), where a map of the batch
// and one lookup per id were a fifth of the writer's own time (not lent to
// other cores) in a bulk load of batches of 1,000. Only a batch that
// fails is walked in order, to name the first offender.
func checkBatchIDs(recs []Record, c *collection.Collection) error {
	if len(recs) >= sortedCheck {
		ids := make([]string, len(recs))
		for i := range recs {
			ids[i] = recs[i].ID
		}
		slices.Sort(ids)
		clean := true
		for i := 1; i < len(ids) && clean; i++ {
			clean = ids[i] != ids[i-1]
		}
		if clean && (c == nil || !c.HasAny(ids)) {
			return nil
		}
	}
	var seen map[string]bool
	if len(recs) > 1 {
		seen = make(map[string]bool, len(recs))
	}
	for _, r := range recs {
		if (c != nil && c.Has(r.ID)) || seen[r.ID] {
			return duplicated(compact(gjson.Get(r.JSON, "id")))
		}
		if seen != nil {
			seen[r.ID] = true
		}
	}
	return nil
}

// sortedCheck is the smallest batch checkBatchIDs sorts.
const sortedCheck = 16

func applyInsert(dst []byte, txn *dbvalue.Txn, q Insert, fx *Effects, run collection.Runner) ([]byte, error) {
	c := txn.Collection(q.Coll)
	if len(q.Records) == 1 {
		// The commonest write: one descent both checks the id and inserts.
		r := q.Records[0]
		var ok bool
		if c, ok = c.InsertNew(txn.Edit(), r.ID, r.JSON, txn.Log(q.Coll)); !ok {
			return nil, duplicated(compact(gjson.Get(r.JSON, "id")))
		}
	} else {
		if err := checkBatchIDs(q.Records, &c); err != nil {
			return nil, err
		}
		c = c.InsertMany(txn.Edit(), q.Records, run, txn.Log(q.Coll))
	}
	txn.SetCollection(q.Coll, c)
	if fx != nil {
		fx.insert("insert", q.Coll, q.Records)
	}
	return strconv.AppendInt(dst, int64(len(q.Records)), 10), nil
}

func applyUpdate(dst []byte, txn *dbvalue.Txn, q Update, fx *Effects) []byte {
	c := txn.Collection(q.Coll)
	ids := PlanFind(q.Coll, c, q.Find).IDs()
	e, log := txn.Edit(), txn.Log(q.Coll)
	var (
		buf []byte
		put []string
	)
	for _, id := range ids {
		old, _ := c.Get(id)
		buf = Merge(buf[:0], old, q.Changes)
		rec := string(buf)
		c = c.Put(e, id, rec, log)
		if fx != nil {
			put = append(put, rec)
		}
	}
	txn.SetCollection(q.Coll, c)
	if fx != nil {
		fx.put(q.Coll, put)
	}
	return strconv.AppendInt(dst, int64(len(ids)), 10)
}

// Merge appends the record rec with the changes merged in: an existing key
// keeps its place and takes the new value (or is removed by a null), new
// keys are appended in the order of the changes.
func Merge(dst []byte, rec string, changes []Change) []byte {
	dst = append(dst, '{')
	n := 0
	used := make([]bool, len(changes))
	member := func(keyRaw, val string) {
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, keyRaw...)
		dst = append(dst, ':')
		dst = append(dst, val...)
		n++
	}
	gjson.Parse(rec).ForEach(func(k, v gjson.Result) bool {
		for i, ch := range changes {
			if ch.Key == k.Str {
				if !used[i] && !ch.Remove {
					member(k.Raw, ch.Value)
				}
				used[i] = true
				return true
			}
		}
		member(k.Raw, v.Raw)
		return true
	})
	for i, ch := range changes {
		if !used[i] && !ch.Remove {
			member(ch.KeyRaw, ch.Value)
		}
	}
	return append(dst, '}')
}

func applyMulti(dst []byte, txn *dbvalue.Txn, q MultiWrite, env *Env) ([]byte, error) {
	sp, fx := txn.Savepoint(), effectsOf(env)
	mark := fx.mark()
	dst = append(dst, '[')
	for i, inner := range q.Queries {
		if i > 0 {
			dst = append(dst, ',')
		}
		// A failed Apply returns nil, not the buffer: keep dst for the
		// next query and return nil like every other failure.
		out, err := Apply(dst, txn, inner, env)
		if err != nil {
			txn.Rollback(sp)
			fx.rollback(mark)
			return nil, err
		}
		dst = out
	}
	return append(dst, ']'), nil
}

func applyChecked(dst []byte, txn *dbvalue.Txn, q CheckedWrite, env *Env) ([]byte, error) {
	actual, err := Execute(nil, txn.View(), q.Read, env)
	if err != nil {
		return nil, err
	}
	if index.EncodeJSON(string(actual)) != q.Expected {
		dst = append(dst, "[false,"...)
		dst = append(dst, actual...)
		return append(dst, ']'), nil
	}
	sp, fx := txn.Savepoint(), effectsOf(env)
	mark := fx.mark()
	out, err := Apply(append(dst, "[true,"...), txn, q.Write, env)
	if err != nil {
		txn.Rollback(sp)
		fx.rollback(mark)
		return nil, err
	}
	return append(out, ']'), nil
}
