package query

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/index"
	"github.com/tidwall/gjson"
)

// fuzzDB returns a small database, with indexes and without.
func fuzzDB(tb testing.TB) (indexed, plain *dbvalue.Value) {
	tb.Helper()
	records := `["insert","t",[{"id":1,"a":1,"b":"x","n":{"x":1}},{"id":2,"a":2.5,"b":"y"},{"id":"s","a":"str","b":"x","n":{"x":[1]}},` +
		`{"id":4,"a":null,"b":true,"c":[1,2]},{"id":5,"a":2,"b":"x","n":{"x":{"y":null}}},{"id":6,"b":"z"},{"id":7.5,"a":-1e300,"k.1":"dot"}]]`
	plain, indexed = dbvalue.Empty(), dbvalue.Empty()
	run(tb, &plain, records, `["insert","u",{"id":1}]`)
	run(tb, &indexed, `["create-index","t","a"]`, `["create-index","t",[["b","desc"],"a"]]`,
		`["create-index","t","n.x"]`, `["create-index","t",["k\\.1",["id","desc"]]]`, records, `["insert","u",{"id":1}]`)
	return indexed, plain
}

var refusedPrefixes = []string{"Malformed JSON: ", "Malformed query: ", "Duplicated id: ", "Record does not have an id", "Command failed: "}

// FuzzParse feeds arbitrary requests to the parser, and runs those that
// parse: reads on a small database with indexes and without (the results
// must agree), writes on a transaction (a refused write must change
// nothing, and every write leaves the indexes consistent).
//
//	go test -fuzz FuzzParse -fuzztime 60s ./query
func FuzzParse(f *testing.F) {
	for _, req := range goldenRequests(f) {
		f.Add(req)
	}
	indexed, plain := fuzzDB(f)
	before := dumpValue(indexed, true)
	env := goldenEnv()
	f.Fuzz(func(t *testing.T, req string) {
		q, err := ParseString(req)
		if err != nil {
			checkRefused(t, req, err)
			return
		}
		if answeredAbove(q) {
			return // answered above the query layer
		}
		if q.IsWrite() {
			txn := indexed.Begin()
			out, err := Apply(nil, txn, q, env)
			if cerr := txn.View().Check(); cerr != nil {
				t.Fatalf("%s: %v", req, cerr)
			}
			if err != nil {
				checkRefused(t, req, err)
				if dumpValue(txn.View(), true) != before {
					t.Fatalf("%s: a refused write changed the transaction", req)
				}
			} else if !gjson.ValidBytes(out) {
				t.Fatalf("%s: invalid JSON result %s", req, out)
			} else {
				checkEffects(t, req, indexed, q, env)
			}
			if dumpValue(indexed, true) != before {
				t.Fatalf("%s: a transaction changed the value it started from", req)
			}
			return
		}
		got, err := Execute(nil, indexed, q, env)
		if err != nil {
			t.Fatalf("%s: %v", req, err)
		}
		if !gjson.ValidBytes(got) {
			t.Fatalf("%s: invalid JSON result %s", req, got)
		}
		want, err := Execute(nil, plain, q, env)
		if err != nil {
			t.Fatalf("%s: without indexes: %v", req, err)
		}
		compareAnswers(t, req, q, string(got), string(want))
		switch q.(type) {
		case Select, Count:
			if ex, err := Execute(nil, indexed, Explain{Query: q}, env); err != nil || !gjson.ValidBytes(ex) {
				t.Fatalf("%s: explain: %s, %v", req, ex, err)
			}
		}
	})
}

func checkRefused(tb testing.TB, req string, err error) {
	tb.Helper()
	var qe *Error
	if !errors.As(err, &qe) || !errors.Is(err, ErrRefused) {
		tb.Fatalf("%s: error %v is not a refused *query.Error", req, err)
	}
	for _, p := range refusedPrefixes {
		if strings.HasPrefix(qe.Msg, p) {
			return
		}
	}
	tb.Fatalf("%s: message %q has none of the prefixes of SPEC §3", req, qe.Msg)
}

// compareAnswers checks that a read gives the same answer with and
// without indexes: identical with an order, the same multiset of values
// without one, the same size when offset or limit cut an unordered result.
func compareAnswers(tb testing.TB, req string, q Query, got, want string) {
	tb.Helper()
	s, ok := q.(Select)
	if !ok {
		if _, isCount := q.(Count); isCount || got == want {
			if got != want {
				tb.Fatalf("%s: %s with indexes, %s without", req, got, want)
			}
			return
		}
		switch q.(type) {
		case ListCollections, ListIndexes, MultiRead, Info:
			return // index-only collections and index lists differ
		}
		tb.Fatalf("%s: %s with indexes, %s without", req, got, want)
	}
	if len(s.Find.Order) > 0 {
		if got != want {
			tb.Fatalf("%s: ordered results differ:\n  %s\n  %s", req, got, want)
		}
		return
	}
	a, b := canonicalItems(got), canonicalItems(want)
	if s.Find.Offset > 0 || s.Find.Limit >= 0 {
		if len(a) != len(b) {
			tb.Fatalf("%s: %d results with indexes, %d without", req, len(a), len(b))
		}
		return
	}
	if !slices.Equal(a, b) {
		tb.Fatalf("%s: results differ:\n  %s\n  %s", req, got, want)
	}
}

func canonicalItems(js string) []string {
	var out []string
	gjson.Parse(js).ForEach(func(_, v gjson.Result) bool {
		out = append(out, index.EncodeValue(v))
		return true
	})
	slices.Sort(out)
	return out
}

// checkEffects applies the write q to v collecting its Effects, and checks
// that the effects, as one query parsed from their text and applied to v
// without any command, give exactly the same value: what the log records
// for a call replays to what the call did.
func checkEffects(tb testing.TB, req string, v *dbvalue.Value, q Query, env *Env) {
	tb.Helper()
	fxEnv := *env
	fx := &Effects{}
	fxEnv.Effects = fx
	txn := v.Begin()
	if _, err := Apply(nil, txn, q, &fxEnv); err != nil {
		tb.Fatalf("%s: failed while collecting effects: %v", req, err)
	}
	want := dumpValue(txn.View(), true)
	text := fx.AppendQuery(nil)
	if !gjson.ValidBytes(text) {
		tb.Fatalf("%s: effects are not JSON: %s", req, text)
	}
	eq, err := ParseTrusted(text) // as the log replay parses them (no depth limit)
	if err != nil {
		tb.Fatalf("%s: effects %s do not parse: %v", req, text, err)
	}
	if UsesCommand(eq) {
		tb.Fatalf("%s: effects %s call a command", req, text)
	}
	txn2 := v.Begin()
	if _, err := Apply(nil, txn2, eq, nil); err != nil {
		tb.Fatalf("%s: effects %s fail: %v", req, text, err)
	}
	if got := dumpValue(txn2.View(), true); got != want {
		tb.Fatalf("%s: effects %s give\n%s\nthe write gave\n%s", req, text, got, want)
	}
}
