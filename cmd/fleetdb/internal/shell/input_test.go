package shell

import (
	"strings"
	"testing"
)

func TestSplitter(t *testing.T) {
	var sp splitter
	var got []string
	for _, line := range strings.Split(`# comment
["a",
 "]", {"b": "[\"" }] ["c"]  -- trailing
.explain ["select",
  "t"]
.json on
   quit
["x"`, "\n") {
		for _, st := range sp.feed(line) {
			got = append(got, st.text)
		}
	}
	want := []string{"[\"a\",\n \"]\", {\"b\": \"[\\\"\" }]", `["c"]`, ".explain [\"select\",\n  \"t\"]", ".json on", "quit"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if !sp.pending() || sp.line != 8 {
		t.Errorf("pending %v at line %d, want the unterminated [\"x\" of line 8", sp.pending(), sp.line)
	}
}

func TestCompletionContext(t *testing.T) {
	for _, tc := range []struct {
		before string
		kind   completionKind
		word   string
	}{
		{`["sel`, completeQueryName, "sel"},
		{`[ "`, completeQueryName, ""},
		{`["select", "peo`, completeCollection, "peo"},
		{`["select",` + "\n" + ` "p`, completeCollection, "p"},
		{`["select", "people", {"where": ["=", "na`, completeNothing, ""},
		{`["select", "people", {"where": ["`, completeNothing, ""},
		{`["explain", ["sel`, completeQueryName, "sel"},
		{`["explain", ["select", "`, completeCollection, ""},
		{`["checked-write", ["count", "a"], 1, ["ins`, completeQueryName, "ins"},
		{`["checked-write", ["count", "a"], [1, "x`, completeNothing, ""},
		{`["select", "people", {"wh`, completeNothing, ""},
		{`["ping", "x`, completeNothing, ""},
		{`["multi-read", [["count", "pe`, completeCollection, "pe"},
		{`["select", "a\"b`, completeCollection, `a\"b`},
		{`["select"`, completeNothing, ""},
		{`.ind`, completeDotCommand, ".ind"},
		{`.indexes pe`, completeBareColl, "pe"},
		{`.indexes `, completeBareColl, ""},
		{`.explain ["count", "p`, completeCollection, "p"},
		{`.json o`, completeNothing, ""},
	} {
		kind, word := completionContext(tc.before)
		if kind != tc.kind || word != tc.word {
			t.Errorf("%q: %v %q, want %v %q", tc.before, kind, word, tc.kind, tc.word)
		}
	}
	if ins, c := completeWord("c", []string{"clear", "count", "compact"}); ins != "" || len(c) != 3 {
		t.Errorf("completeWord c: %q %v", ins, c)
	}
	if ins, c := completeWord("co", []string{"clear", "count", "compact"}); ins != "" || len(c) != 2 {
		t.Errorf("completeWord co: %q %v", ins, c)
	}
	if ins, c := completeWord("create-", []string{"create-index", "count"}); ins != "index" || len(c) != 1 {
		t.Errorf("completeWord create-: %q %v", ins, c)
	}
	if ins, _ := completeWord("peo", []string{"people", "peoples"}); ins != "ple" {
		t.Errorf("completeWord peo: %q", ins)
	}
}
