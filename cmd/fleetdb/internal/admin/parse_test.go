package admin

import (
	"encoding/json"
	"testing"
)

func TestParseSpec(t *testing.T) {
	for in, want := range map[string]string{
		"age":                         `"age"`,
		"address.city":                `"address.city"`,
		`"age"`:                       `"age"`,
		`[ "city", ["age", "desc"] ]`: `["city",["age","desc"]]`,
		`with "quote"`:                `"with \"quote\""`,
	} {
		got, err := parseSpec(in)
		if err != nil || string(got) != want {
			t.Errorf("%s: %s %v, want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "  ", "[1,", `"open`} {
		if _, err := parseSpec(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestRenderPlanUnknownNodes(t *testing.T) {
	got := RenderPlan(json.RawMessage(`["limit",5,["new-node",{"x":1},["collection-scan","t"]]]`))
	want := "limit 5\n└─ new-node {\"x\":1}\n   └─ collection-scan \"t\"\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
