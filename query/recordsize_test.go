package query

import (
	"strings"
	"testing"
)

// TestRecordTooLong: a record longer than the limit is refused with a
// clear message, in an insert and in a put; one at the limit is taken.
func TestRecordTooLong(t *testing.T) {
	defer func(old int) { maxRecordBytes = old }(maxRecordBytes)
	maxRecordBytes = 100
	rec := func(n int) string { // a record of exactly n bytes
		const head = `{"id":1,"pad":"`
		return head + strings.Repeat("x", n-len(head)-2) + `"}`
	}
	if _, err := Parse([]byte(`["insert","c",` + rec(100) + `]`)); err != nil {
		t.Fatalf("record at the limit: %v", err)
	}
	for _, q := range []string{
		`["insert","c",` + rec(101) + `]`,
		`["insert","c",[{"id":2},` + rec(101) + `]]`,
		`["put","c",` + rec(101) + `]`,
	} {
		_, err := Parse([]byte(q))
		if err == nil || !strings.Contains(err.Error(), "record of 101 bytes is longer than 100") {
			t.Fatalf("%.40s...: %v", q, err)
		}
	}
}
