package server

import (
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/query"
)

// TestQueryNames: every name of the label set is a query the parser knows,
// and nameIndexOf agrees with the table.
func TestQueryNames(t *testing.T) {
	if queryNames[nameAuth] != "auth" || queryNames[nameSetReadConsistency] != "set-read-consistency" || queryNames[nameOther] != "other" {
		t.Fatal("nameAuth, nameSetReadConsistency or nameOther out of step with queryNames")
	}
	for i, name := range queryNames {
		if got := nameIndexOf(name); got != i {
			t.Errorf("nameIndexOf(%q) = %d, want %d", name, got, i)
		}
		if name == "other" {
			continue
		}
		_, err := query.Parse([]byte(`["` + name + `"]`))
		if err != nil && strings.Contains(err.Error(), "unknown query") {
			t.Errorf("%q is not a query: %v", name, err)
		}
	}
}

func TestQueryIndex(t *testing.T) {
	for line, want := range map[string]string{
		`["ping"]`:                   "ping",
		` [ "select" , "x" ]`:        "select",
		`["\u0073elect","x"]`:        "select",
		`["\u0073elect"`:             "other",
		`["nope"]`:                   "other",
		`[1]`:                        "other",
		`{"a":1}`:                    "other",
		``:                           "other",
		`["ping`:                     "other",
		`["multi-write",[["ping"]]]`: "multi-write",
	} {
		if got := queryNames[queryIndex([]byte(line))]; got != want {
			t.Errorf("queryIndex(%s) = %s, want %s", line, got, want)
		}
	}
}

func BenchmarkQueryIndex(b *testing.B) {
	line := []byte(`["select","people",{"where":["=","id",12345]}]`)
	b.ReportAllocs()
	for b.Loop() {
		queryIndex(line)
	}
}
