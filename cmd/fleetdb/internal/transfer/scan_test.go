package transfer

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCheckRecord(t *testing.T) {
	for _, tc := range []struct {
		line string
		id   string // the id's JSON, or "" for an error
		err  string
	}{
		{`{"id":1}`, `1`, ""},
		{` {"a":{"id":7},"id" : "x\"y" } `, `"x\"y"`, ""},
		{`{"id":-0.5e3,"id":2}`, `-0.5e3`, ""},
		{`{"id":1,"s":"\u00e9\n","a":[1,true,null,{"b":[]}]}`, `1`, ""},
		{`{"name":"x"}`, "", `no "id" attribute`},
		{`{"id":null}`, "", `"id" is null`},
		{`{"id":{"a":1}}`, "", `"id" is {"a":1}`},
		{`[{"id":1}]`, "", "not a JSON object"},
		{`{"id":1}{"id":2}`, "", "text after the JSON object (at byte 9)"},
		{`{"id":1,}`, "", "want a key"},
		{`{"id":01}`, "", "want ',' or '}'"},
		{`{"id":1,"s":"a` + "\t" + `"}`, "", "control character"},
		{`{"id":1,"s":"\x"}`, "", "bad escape"},
		{`{"id":1,"s":"\u12G4"}`, "", "bad \\u escape"},
		{`{"id":1,"n":1.}`, "", "bad number"},
		{`{"id":1,"n":tru}`, "", "bad literal"},
		{`{"id":1`, "", "unexpected end of line"},
		{`{"id":1,"x":` + strings.Repeat("[", 61) + strings.Repeat("]", 61) + `}`, `1`, ""},
		{`{"id":1,"x":` + strings.Repeat("[", 62) + strings.Repeat("]", 62) + `}`, "", "nested deeper than 62"},
	} {
		sp, err := checkRecord([]byte(tc.line))
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want %q", tc.line, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.line, err)
		case tc.err == "" && tc.line[sp.from:sp.to] != tc.id:
			t.Errorf("%s: id %q, want %q", tc.line, tc.line[sp.from:sp.to], tc.id)
		}
		// What the checker accepts, encoding/json accepts.
		if err == nil && !json.Valid([]byte(tc.line)) {
			t.Errorf("%s: accepted but not valid JSON", tc.line)
		}
	}
}

func TestIDKey(t *testing.T) {
	same := [][]string{{`1`, `1.0`, `1e0`, `10e-1`}, {`"1"`}, {`-3`, `-3.00`}, {`2.5`, `25e-1`}, {`9007199254740993`}}
	seen := map[string]int{}
	for i, group := range same {
		for _, id := range group {
			k := idKey([]byte(id))
			if j, ok := seen[k]; ok && j != i {
				t.Errorf("%s has the key of group %d", id, j)
			}
			seen[k] = i
		}
		if k0, k1 := idKey([]byte(group[0])), idKey([]byte(group[len(group)-1])); k0 != k1 {
			t.Errorf("%v: keys %q and %q", group, k0, k1)
		}
	}
}
