package index

import (
	"slices"
	"strings"
	"testing"
)

func TestParsePath(t *testing.T) {
	for _, c := range []struct {
		name  string
		steps []string // nil: an error
		err   string   // part of the error message
	}{
		{name: "a", steps: []string{"a"}},
		{name: "id", steps: []string{"id"}},
		{name: "a.b", steps: []string{"a", "b"}},
		{name: "a.b.c", steps: []string{"a", "b", "c"}},
		{name: `a\.b`, steps: []string{"a.b"}},
		{name: `a\.b.c`, steps: []string{"a.b", "c"}},
		{name: `a\\.b`, steps: []string{`a\`, "b"}},
		{name: `a\\\.b`, steps: []string{`a\.b`}},
		{name: `\.`, steps: []string{"."}},
		{name: `\\`, steps: []string{`\`}},
		{name: "a\x00b", steps: []string{"a\x00b"}},
		{name: "é.日本", steps: []string{"é", "日本"}},
		{name: "#", steps: []string{"#"}},
		{name: "a*?|@!", steps: []string{"a*?|@!"}},
		{name: " ", steps: []string{" "}},
		{name: "", err: "empty attribute name"},
		{name: ".", err: "empty step"},
		{name: ".a", err: "empty step"},
		{name: "a.", err: "empty step"},
		{name: "a..b", err: "empty step"},
		{name: `a\`, err: "backslash"},
		{name: `a\b`, err: "backslash"},
		{name: `\a`, err: "backslash"},
	} {
		p, err := ParsePath(c.name)
		if c.steps == nil {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParsePath(%q) = %v, %v; want an error about %q", c.name, p.Steps(), err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParsePath(%q): %v", c.name, err)
			continue
		}
		if !slices.Equal(p.Steps(), c.steps) {
			t.Errorf("ParsePath(%q) steps = %q, want %q", c.name, p.Steps(), c.steps)
		}
		if p.Name() != c.name {
			t.Errorf("ParsePath(%q).Name() = %q", c.name, p.Name())
		}
	}
	if !MustPath("id").IsID() || MustPath("a.id").IsID() || MustPath(`id\.x`).IsID() {
		t.Error("IsID is wrong")
	}
}

// TestPathKey checks that Key identifies attributes: names that address
// different attributes never share a Key.
func TestPathKey(t *testing.T) {
	names := []string{"a", "b", "a.b", `a\.b`, "a\x00b", `a\\.b`, `a\\\.b`, "a.b.c", `a.b\.c`, `a\.b.c`, "ab"}
	seen := map[string]string{}
	for _, n := range names {
		k := MustPath(n).Key()
		if prev, dup := seen[k]; dup {
			t.Errorf("%q and %q have the same Key", prev, n)
		}
		seen[k] = n
	}
	if MustPath("a.b").Key() != MustPath("a.b").Key() {
		t.Error("Key is not stable")
	}
}

func TestPathGet(t *testing.T) {
	rec := `{"id":1,"a":{"b":{"c":3},"x":null,"arr":[{"b":1}]},"a.b":"dotted","s":"str","n":5,` +
		`"arr":[1,2],"e":{},"w\\x":"bs","#":"hash","a*":"star","\u00e9":"e-acute","k\u0000":"nul","dup":1,"dup":2}`
	for _, c := range []struct {
		name string
		want string // raw JSON; "" = missing
	}{
		{"id", "1"},
		{"a", `{"b":{"c":3},"x":null,"arr":[{"b":1}]}`},
		{"a.b", `{"c":3}`},
		{"a.b.c", "3"},
		{`a\.b`, `"dotted"`},
		{"a.x", "null"},
		{"a.missing", ""},
		{"missing", ""},
		{"missing.deeper", ""},
		{"a.b.c.d", ""},  // a step into a number
		{"s.length", ""}, // a step into a string
		{"arr.0", ""},    // names do not index arrays
		{"arr.#", ""},
		{"a.arr.b", ""}, // nor step into their elements
		{"e", "{}"},
		{"e.x", ""},
		{`w\\x`, `"bs"`},
		{"#", `"hash"`},
		{"a*", `"star"`},
		{"a?", ""}, // not a pattern
		{"é", `"e-acute"`},
		{"k\x00", `"nul"`},
		{"dup", "1"}, // the first of repeated keys
	} {
		got := MustPath(c.name).Get(rec)
		if got.Raw != c.want {
			t.Errorf("Get(%q) = %q, want %q", c.name, got.Raw, c.want)
		}
		if c.want == "" && EncodeValue(got) != EncodeJSON("null") {
			t.Errorf("Get(%q) is missing but does not encode as null", c.name)
		}
	}
}

func TestParseSpec(t *testing.T) {
	for _, c := range []struct {
		js, raw string
		comps   []Component
	}{
		{`"a"`, `"a"`, []Component{{Path: MustPath("a")}}},
		{`["a"]`, `["a"]`, []Component{{Path: MustPath("a")}}},
		{`[["a","asc"]]`, `[["a","asc"]]`, []Component{{Path: MustPath("a")}}},
		{`[ [ "a" , "desc" ] ]`, `[["a","desc"]]`, []Component{{Path: MustPath("a"), Desc: true}}},
		{`["a.b",["c","desc"],"d"]`, `["a.b",["c","desc"],"d"]`,
			[]Component{{Path: MustPath("a.b")}, {Path: MustPath("c"), Desc: true}, {Path: MustPath("d")}}},
	} {
		s := mustSpec(t, c.js)
		if s.Raw() != c.raw {
			t.Errorf("spec %s: Raw = %s, want %s", c.js, s.Raw(), c.raw)
		}
		if len(s.Components) != len(c.comps) {
			t.Fatalf("spec %s: %d components", c.js, len(s.Components))
		}
		for i, comp := range s.Components {
			if comp.Path.Name() != c.comps[i].Path.Name() || comp.Desc != c.comps[i].Desc {
				t.Errorf("spec %s: component %d = %s desc=%v", c.js, i, comp.Path.Name(), comp.Desc)
			}
		}
	}
	same := [][]string{
		{`"a"`, `["a"]`, `[["a","asc"]]`},
		{`["a","b"]`, `[["a","asc"],"b"]`, `["a",["b","asc"]]`},
	}
	differ := []string{`"a"`, `[["a","desc"]]`, `["a","b"]`, `["b","a"]`, `"a\u0000b"`, `"a.b"`, `"a\\.b"`,
		`["a",["b","desc"]]`, `"a\u0000desc"`, `["a","\u0001desc"]`, `["a,b"]`, `["a","b","c"]`}
	for _, group := range same {
		for _, js := range group {
			if mustSpec(t, js).Key() != mustSpec(t, group[0]).Key() {
				t.Errorf("%s and %s should name the same index", js, group[0])
			}
		}
	}
	keys := map[string]string{}
	for _, js := range differ {
		k := mustSpec(t, js).Key()
		if prev, dup := keys[k]; dup {
			t.Errorf("%s and %s name the same index", prev, js)
		}
		keys[k] = js
	}
	for _, bad := range []string{`[]`, `1`, `null`, `{}`, `""`, `[1]`, `[["a"]]`, `[["a","up"]]`, `[["a","asc",1]]`, `[[1,"asc"]]`, `["a..b"]`} {
		if s, err := ParseSpec(gjsonParse(bad)); err == nil {
			t.Errorf("ParseSpec(%s) = %s, want an error", bad, s.Raw())
		}
	}
}
