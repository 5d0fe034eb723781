package query

// The model's writes (SPEC §4 "Writes", query/doc.go for put and update).

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"testing"
)

type mChange struct {
	key    string
	val    string // compact JSON; "" with remove
	remove bool
}

// mMembers returns the members of a JSON object text in order: keys
// unescaped, values as raw text.
func mMembers(tb testing.TB, obj string) (keys []string, vals []string) {
	tb.Helper()
	d := json.NewDecoder(strings.NewReader(obj))
	d.UseNumber()
	if _, err := d.Token(); err != nil { // {
		tb.Fatalf("model: %s: %v", obj, err)
	}
	for d.More() {
		k, err := d.Token()
		if err != nil {
			tb.Fatal(err)
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			tb.Fatal(err)
		}
		var b bytes.Buffer
		if err := json.Compact(&b, v); err != nil {
			tb.Fatal(err)
		}
		keys = append(keys, k.(string))
		vals = append(vals, b.String())
	}
	if _, err := d.Token(); err != nil && err != io.EOF { // }
		tb.Fatal(err)
	}
	return keys, vals
}

// mMerge merges changes into a record: an existing key keeps its place,
// null removes it, new keys follow in the order of the changes.
func mMerge(tb testing.TB, rec string, changes []mChange) string {
	tb.Helper()
	keys, vals := mMembers(tb, rec)
	used := make([]bool, len(changes))
	var parts []string
	for i, k := range keys {
		v := vals[i]
		for j, ch := range changes {
			if ch.key == k {
				used[j] = true
				if ch.remove {
					v = ""
				} else {
					v = ch.val
				}
			}
		}
		if v != "" {
			parts = append(parts, mQuote(k)+":"+v)
		}
	}
	for j, ch := range changes {
		if !used[j] && !ch.remove {
			parts = append(parts, mQuote(ch.key)+":"+ch.val)
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func newMRec(tb testing.TB, text string) *mRec {
	tb.Helper()
	val := mDecode(tb, text).(map[string]any)
	_, vals := mMembers(tb, text)
	keys, _ := mMembers(tb, text)
	r := &mRec{text: text, val: val, id: val["id"]}
	for i, k := range keys {
		if k == "id" {
			r.idRaw = vals[i]
		}
	}
	return r
}

func malformedResult() mResult { return mResult{err: "Malformed query: ", errPrefix: true} }

// parseRecs reads the records of an insert or put the way SPEC §4 says
// they are refused: not an object (Malformed query), no id, an id that is
// not a number or string (Malformed query).
func parseRecs(tb testing.TB, raw json.RawMessage) ([]*mRec, *mResult) {
	tb.Helper()
	var elems []json.RawMessage
	if bytes.HasPrefix(raw, []byte("{")) {
		elems = []json.RawMessage{raw}
	} else if err := json.Unmarshal(raw, &elems); err != nil {
		r := malformedResult()
		return nil, &r
	}
	var recs []*mRec
	for _, e := range elems {
		if !bytes.HasPrefix(e, []byte("{")) {
			r := malformedResult()
			return nil, &r
		}
		rec := newMRec(tb, string(e))
		switch rec.id.(type) {
		case json.Number, string:
		default:
			r := mResult{err: "Record does not have an id"}
			if v, has := rec.val["id"]; has && v != nil {
				r = malformedResult()
			}
			return nil, &r
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// apply runs a write request on the model. It changes m only when the
// write succeeds.
func (m *mDB) apply(tb testing.TB, req string) mResult {
	tb.Helper()
	if r := parseError(tb, req); r != nil {
		return *r
	}
	r := m.apply1(tb, req)
	m.prune()
	return r
}

// parseError returns the error of a request refused before it runs: a bad
// record or a change of id, in a nested query too.
func parseError(tb testing.TB, req string) *mResult {
	tb.Helper()
	name, args := splitRequest(tb, req)
	switch name {
	case "insert", "put":
		_, bad := parseRecs(tb, args[1])
		return bad
	case "update":
		keys, _ := mMembers(tb, string(args[1]))
		for _, k := range keys {
			if k == "id" {
				r := malformedResult()
				return &r
			}
		}
	case "multi-write":
		var inner []json.RawMessage
		if err := json.Unmarshal(args[0], &inner); err != nil {
			tb.Fatal(err)
		}
		for _, q := range inner {
			if r := parseError(tb, string(q)); r != nil {
				return r
			}
		}
	case "checked-write":
		return parseError(tb, string(args[2]))
	}
	return nil
}

func (m *mDB) apply1(tb testing.TB, req string) mResult {
	tb.Helper()
	name, args := splitRequest(tb, req)
	optArg := func(i int) json.RawMessage {
		if len(args) > i {
			return args[i]
		}
		return nil
	}
	switch name {
	case "insert", "put":
		coll := unquote(tb, args[0])
		recs, bad := parseRecs(tb, args[1])
		if bad != nil {
			return *bad
		}
		seen := map[string]bool{}
		c := m.colls[coll]
		for _, r := range recs {
			k := mIDKey(r.id)
			if seen[k] || (name == "insert" && c != nil && c.recs[k] != nil) {
				return mResult{err: "Duplicated id: " + r.idRaw}
			}
			seen[k] = true
		}
		c = m.coll(coll)
		for _, r := range recs {
			c.recs[mIDKey(r.id)] = r
		}
		return mResult{out: strconv.Itoa(len(recs))}
	case "update":
		coll := unquote(tb, args[0])
		keys, vals := mMembers(tb, string(args[1]))
		var changes []mChange
		for i, k := range keys {
			if k == "id" {
				return malformedResult()
			}
			ch := mChange{key: k, val: vals[i]}
			if vals[i] == "null" {
				ch = mChange{key: k, remove: true}
			}
			changes = append(changes, ch)
		}
		f := mParseFind(tb, optArg(2))
		c, ok := m.colls[coll]
		if !ok {
			return mResult{out: "0"}
		}
		recs := c.matches(f)
		lo, hi := f.window(len(recs))
		if !f.deterministic(len(recs)) {
			return mResult{out: strconv.Itoa(hi - lo), nondet: &mNondet{coll: coll, matched: recs, n: hi - lo, changes: changes, changesRaw: string(args[1])}}
		}
		for _, r := range recs[lo:hi] {
			c.recs[mIDKey(r.id)] = newMRec(tb, mMerge(tb, r.text, changes))
		}
		return mResult{out: strconv.Itoa(hi - lo)}
	case "delete":
		coll := unquote(tb, args[0])
		f := mParseFind(tb, optArg(1))
		c, ok := m.colls[coll]
		if !ok {
			return mResult{out: "0"}
		}
		recs := c.matches(f)
		lo, hi := f.window(len(recs))
		if !f.deterministic(len(recs)) {
			return mResult{out: strconv.Itoa(hi - lo), nondet: &mNondet{coll: coll, matched: recs, n: hi - lo, delete: true}}
		}
		for _, r := range recs[lo:hi] {
			delete(c.recs, mIDKey(r.id))
		}
		return mResult{out: strconv.Itoa(hi - lo)}
	case "create-index", "drop-index":
		coll := unquote(tb, args[0])
		spec := mParseSpec(tb, args[1])
		c := m.coll(coll)
		for i, s := range c.specs {
			if s.key == spec.key {
				if name == "drop-index" {
					c.specs = append(c.specs[:i:i], c.specs[i+1:]...)
					return mResult{out: "1"}
				}
				return mResult{out: "0"}
			}
		}
		if name == "drop-index" {
			return mResult{out: "0"}
		}
		c.specs = append(c.specs, spec)
		return mResult{out: "1"}
	case "drop-collection":
		coll := unquote(tb, args[0])
		if _, ok := m.colls[coll]; ok {
			delete(m.colls, coll)
			return mResult{out: "1"}
		}
		return mResult{out: "0"}
	case "clear":
		n := len(m.colls)
		m.colls = map[string]*mColl{}
		return mResult{out: strconv.Itoa(n)}
	case "multi-write":
		var inner []json.RawMessage
		if err := json.Unmarshal(args[0], &inner); err != nil {
			tb.Fatal(err)
		}
		work := m.clone()
		outs := make([]string, len(inner))
		for i, q := range inner {
			r := work.step(tb, string(q))
			if r.err != "" {
				return r
			}
			outs[i] = r.out
		}
		m.colls = work.colls
		return mResult{out: "[" + strings.Join(outs, ",") + "]"}
	case "checked-write":
		actual := m.read(tb, string(args[0])).out
		if !mEqual(mDecode(tb, actual), mDecode(tb, string(args[1]))) {
			return mResult{out: "[false," + actual + "]"}
		}
		work := m.clone()
		r := work.step(tb, string(args[2]))
		if r.err != "" {
			return r
		}
		m.colls = work.colls
		return mResult{out: "[true," + r.out + "]"}
	}
	return m.read(tb, req)
}

// step runs one query of a multi-write or checked-write.
func (m *mDB) step(tb testing.TB, req string) mResult {
	tb.Helper()
	r := m.apply(tb, req)
	if r.nondet != nil {
		tb.Fatalf("model: the generator put a nondeterministic write inside a batch: %s", req)
	}
	return r
}

func mParseSpec(tb testing.TB, raw json.RawMessage) mSpec {
	tb.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		tb.Fatal(err)
	}
	v := mDecode(tb, string(raw))
	var comps []string
	var parts []mComp
	add := func(name string, desc bool) {
		parts = append(parts, mComp{name: name, desc: desc})
		c := strconv.Quote(name)
		if desc {
			c += " desc"
		}
		comps = append(comps, c)
	}
	if s, ok := v.(string); ok {
		add(s, false)
	} else {
		for _, x := range v.([]any) {
			switch x := x.(type) {
			case string:
				add(x, false)
			case []any:
				add(x[0].(string), x[1] == "desc")
			}
		}
	}
	return mSpec{raw: b.String(), key: strings.Join(comps, ","), comps: parts}
}
