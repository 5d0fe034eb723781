package query

import (
	"slices"
	"strings"
	"testing"
)

// TestNamesAreTheParsers: Names is exactly the set of names Parse knows,
// once each; Writes agrees with what Parse returns; TakesCollection names
// the queries whose first argument is a collection.
func TestNamesAreTheParsers(t *testing.T) {
	names := Names()
	if len(names) != NumNames || len(names) != len(parsers) {
		t.Fatalf("%d names, NumNames %d, %d parsers", len(names), NumNames, len(parsers))
	}
	for i, n := range names {
		if _, ok := parsers[n]; !ok {
			t.Errorf("%q is not parsed", n)
		}
		if NameIndex(n) != i {
			t.Errorf("NameIndex(%q) = %d, want %d", n, NameIndex(n), i)
		}
	}
	if NameIndex("nope") != -1 || Writes("nope") || TakesCollection("nope") {
		t.Error("an unknown name is a query")
	}
	// One real query of every kind, to check Writes and TakesCollection
	// against the parser.
	samples := map[string]string{
		"ping": `["ping"]`, "info": `["info"]`, "select": `["select","c"]`, "count": `["count","c"]`,
		"explain": `["explain",["select","c"]]`, "list-collections": `["list-collections"]`,
		"list-indexes": `["list-indexes","c"]`, "multi-read": `["multi-read",[["count","c"]]]`,
		"insert": `["insert","c",{"id":1}]`, "put": `["put","c",{"id":1}]`,
		"update": `["update","c",{"a":1}]`, "delete": `["delete","c"]`,
		"create-index": `["create-index","c","a"]`, "drop-index": `["drop-index","c","a"]`,
		"drop-collection": `["drop-collection","c"]`, "clear": `["clear"]`,
		"multi-write":   `["multi-write",[["delete","c"]]]`,
		"checked-write": `["checked-write",["count","c"],0,["delete","c"]]`,
		"compact":       `["compact"]`, "call": `["call","f"]`, "auth": `["auth","pw"]`,
		"set-read-consistency": `["set-read-consistency","local"]`,
		"cluster-join":         `["cluster-join","n2","127.0.0.2:4400","127.0.0.2:3400"]`,
		"cluster-remove":       `["cluster-remove","n2"]`,
		"watch":                `["watch","c",{"from":1}]`, "unwatch": `["unwatch"]`,
		"snapshot-open": `["snapshot-open",5]`, "snapshot-read": `["snapshot-read","s1",["count","c"]]`,
		"snapshot-close": `["snapshot-close","s1"]`,
	}
	for _, n := range names {
		src, ok := samples[n]
		if !ok {
			t.Errorf("no sample of %q", n)
			continue
		}
		q, err := Parse([]byte(src))
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if q.Name() != n || q.IsWrite() != Writes(n) {
			t.Errorf("%s: Name %q IsWrite %v, Writes(%q) %v", src, q.Name(), q.IsWrite(), n, Writes(n))
		}
		// The samples write a collection "c" as the first argument of
		// exactly the queries that take one, and a number there is
		// refused.
		if first := strings.HasPrefix(src, `["`+n+`","c"`); first != TakesCollection(n) {
			t.Errorf("%s: TakesCollection(%q) = %v", src, n, TakesCollection(n))
		} else if _, err := Parse([]byte(strings.Replace(src, `"c"`, `7`, 1))); first && err == nil {
			t.Errorf("%s with a number for its collection: accepted", src)
		}
	}
	if w := WriteNames(); !slices.Equal(w, []string{"insert", "put", "update", "delete", "create-index", "drop-index",
		"drop-collection", "clear", "multi-write", "checked-write", "call"}) {
		t.Errorf("WriteNames = %q", w)
	}
}
