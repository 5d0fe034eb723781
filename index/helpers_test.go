package index

import (
	"testing"

	"github.com/tidwall/gjson"
)

// mustSpec parses an index spec written as JSON.
func mustSpec(tb testing.TB, js string) Spec {
	tb.Helper()
	s, err := ParseSpec(gjson.Parse(js))
	if err != nil {
		tb.Fatalf("spec %s: %v", js, err)
	}
	return s
}

func gjsonParse(js string) gjson.Result { return gjson.Parse(js) }
