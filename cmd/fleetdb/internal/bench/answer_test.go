package bench

import (
	"errors"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/client"
)

// TestExpected: only the answer a request calls for counts as done; a get
// must bring back the record it asked for.
func TestExpected(t *testing.T) {
	for _, c := range []struct {
		op   int
		key  int64
		line string
		want bool
	}{
		{opInsert, 0, `[0,1]`, true},
		{opInsert, 0, `[0,0]`, false},
		{opInsert, 0, `[1,"Duplicated id: \"a\""]`, false},
		{opPing, 0, `[0,"pong"]`, true},
		{opPing, 0, `[0,"ping"]`, false},
		{opGet, 5, `[0,[{"id":5,"v":"xx"}]]`, true},
		{opGet, 5, `[0,[{"v":"xx","id":5}]]`, true},
		{opGet, 5, `[0,[{"v":"\"id\":55","id":5}]]`, true},
		{opGet, 5, `[0,[{"id":55,"v":"xx"}]]`, false},
		{opGet, 55, `[0,[{"id":5,"v":"xx"}]]`, false},
		{opGet, 5, `[0,[]]`, false},
		{opGet, 5, `[0,null]`, false},
		{opGet, 5, `[2,"shutting down"]`, false},
	} {
		if got := expected(c.op, c.key, []byte(c.line)); got != c.want {
			t.Errorf("expected(%s, %d, %s) = %v, want %v", opNames[c.op], c.key, c.line, got, c.want)
		}
	}
}

// TestSortAnswer: a refusal or failure is counted with the server's
// message, a success with another value as unexpected, and a line that is
// not an answer stops the connection.
func TestSortAnswer(t *testing.T) {
	msg, fatal := sortAnswer([]byte(`[1,"Duplicated id: \"a\""]`))
	if fatal != nil || msg != `client: refused: Duplicated id: "a"` {
		t.Errorf("refusal: %q, %v", msg, fatal)
	}
	msg, fatal = sortAnswer([]byte(`[2,"shutting down"]`))
	if fatal != nil || !strings.Contains(msg, "shutting down") {
		t.Errorf("failure: %q, %v", msg, fatal)
	}
	msg, fatal = sortAnswer([]byte(`[0,[]]`))
	if fatal != nil || msg != "unexpected answer: [0,[]]" {
		t.Errorf("empty get: %q, %v", msg, fatal)
	}
	for _, line := range []string{`pong`, `[0,]`, `[3,"x"]`, ``} {
		if _, fatal := sortAnswer([]byte(line)); !errors.Is(fatal, client.ErrOutcomeUnknown) {
			t.Errorf("%q: %v, want ErrOutcomeUnknown", line, fatal)
		}
	}
}
