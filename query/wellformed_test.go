package query

import (
	"strings"
	"testing"
)

// FuzzWellFormed checks that the one-pass check of a request (wellFormed)
// never accepts what the checks before it (checkText) refused, so that
// Parse's verdicts did not change.
func FuzzWellFormed(f *testing.F) {
	for _, s := range []string{
		`["insert","c",{"id":"a","v":"x"}]`, `["ping"]`, `[1,2.5e3,-0,true,null]`, `{"a":[{}]}`,
		`[1.]`, `[01]`, `["\u00e9\ud800"]`, "[\"\xff\"]", `[`, `]`, ``, ` `, `[1,]`, `{"a" 1}`,
		strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth),
		strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if wellFormed([]byte(s)) && checkText(s) != nil {
			t.Fatalf("wellFormed accepts %q, checkText refuses it: %v", s, checkText(s))
		}
	})
}

// TestParseRefusals checks the messages of requests the one-pass check
// refuses: the same as before it.
func TestParseRefusals(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	for _, c := range []struct{ req, want string }{
		{`["insert","c",{"id":1}`, "cannot parse"},
		{"[\"\xff\"]", "invalid UTF-8"},
		{``, "empty request"},
		{deep, "nesting depth 65 exceeds the limit of 64"},
	} {
		for _, parse := range []func(string) (Query, error){
			func(s string) (Query, error) { return Parse([]byte(s)) }, ParseString,
		} {
			_, err := parse(c.req)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%.40q: got %v, want an error with %q", c.req, err, c.want)
			}
		}
	}
	if _, err := Parse([]byte(strings.Repeat("[", MaxDepth-1) + `"ping"` + strings.Repeat("]", MaxDepth-1))); err == nil || strings.Contains(err.Error(), "depth") {
		t.Errorf("64 deep: got %v, want a refusal that is not about depth", err)
	}
}
