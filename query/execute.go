package query

import (
	"fmt"
	"strconv"

	"github.com/fleetdb-go/fleetdb/collection"
	"github.com/fleetdb-go/fleetdb/dbvalue"
)

// Env is what the layer above supplies to queries: the info object and the
// user-defined write commands. The zero Env is valid.
type Env struct {
	// Info appends the JSON object answered by ["info"] for value v.
	Info func(dst []byte, v *dbvalue.Value) []byte
	// Command returns the user-defined write command with the given name.
	Command func(name string) (CommandFunc, bool)
	// Effects, when set, collects the changes of the writes Apply makes
	// (see Effects). Set it only on the writer's own copy of an Env.
	Effects *Effects
	// Parallel, when set, runs the independent parts of a large insert
	// (collection.Runner): the writer lends a write its spare cores
	// without the pure layer starting goroutines. nil runs them in order.
	Parallel collection.Runner
}

// runnerOf returns env's Parallel (nil without an env).
func runnerOf(env *Env) collection.Runner {
	if env == nil {
		return nil
	}
	return env.Parallel
}

// Version is the fleetdb-version reported by info.
const Version = "0.1.0"

// Execute runs a read query on a value and appends its JSON result to dst.
// It never changes v. A write query is an error (use Apply).
func Execute(dst []byte, v *dbvalue.Value, q Query, env *Env) ([]byte, error) {
	switch q := q.(type) {
	case Ping:
		return append(dst, `"pong"`...), nil
	case Info:
		if env != nil && env.Info != nil {
			return env.Info(dst, v), nil
		}
		return AppendInfo(dst, v, false), nil
	case Select:
		c := v.Collection(q.Coll)
		if out, ok := selectPoint(dst, c, &q.Find); ok {
			return out, nil
		}
		return PlanFind(q.Coll, c, q.Find).Select(dst), nil
	case Count:
		return strconv.AppendInt(dst, int64(PlanFind(q.Coll, v.Collection(q.Coll), q.Find).Count()), 10), nil
	case Explain:
		coll, f := findOf(q.Query)
		return append(dst, PlanFind(coll, v.Collection(coll), f).Explain()...), nil
	case ListCollections:
		dst = append(dst, '[')
		for i, name := range v.Names() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, quoteJSON(name)...)
		}
		return append(dst, ']'), nil
	case ListIndexes:
		dst = append(dst, '[')
		for i, ix := range v.Collection(q.Coll).Indexes() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, ix.Spec().Raw()...)
		}
		return append(dst, ']'), nil
	case MultiRead:
		dst = append(dst, '[')
		for i, inner := range q.Queries {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = Execute(dst, v, inner, env); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	}
	return nil, fmt.Errorf("query: %s is not a read", q.Name())
}

// findOf returns the collection and find-options of an explainable query.
func findOf(q Query) (string, Find) {
	switch q := q.(type) {
	case Select:
		return q.Coll, q.Find
	case Count:
		return q.Coll, q.Find
	case Update:
		return q.Coll, q.Find
	case Delete:
		return q.Coll, q.Find
	}
	panic("query: findOf on " + q.Name())
}

// AppendInfo appends the default info object for v.
func AppendInfo(dst []byte, v *dbvalue.Value, persistent bool) []byte {
	dst = append(dst, `{"fleetdb-version":"`+Version+`","persistent":`...)
	dst = strconv.AppendBool(dst, persistent)
	dst = append(dst, ',')
	return append(AppendCounts(dst, v), '}')
}

// AppendCounts appends `"collections":N,"records":M` for v.
func AppendCounts(dst []byte, v *dbvalue.Value) []byte {
	records := 0
	v.Each(func(_ string, c collection.Collection) bool {
		records += c.Len()
		return true
	})
	dst = append(dst, `"collections":`...)
	dst = strconv.AppendInt(dst, int64(v.Len()), 10)
	dst = append(dst, `,"records":`...)
	return strconv.AppendInt(dst, int64(records), 10)
}
