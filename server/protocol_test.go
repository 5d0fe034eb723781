package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/protocol"
	"github.com/fleetdb-go/fleetdb/server"
)

// TestSpecExamples runs the examples of SPEC §3 and a sample of §4 on one
// connection, in order, checking status and value (or message prefix).
func TestSpecExamples(t *testing.T) {
	ts := startServer(t, newDB(t), server.Config{})
	c := dial(t, ts.addr)
	steps := []struct {
		req, want string
		prefix    bool // want is a prefix of the response
	}{
		{`["ping"]`, `[0,"pong"]`, false},
		{`["auth","x"]`, `[0,"auth unneeded"]`, false},
		{`["insert","people",[{"id":1,"name":"Bob","age":31},{"id":2,"name":"Amy","age":29}]]`, `[0,2]`, false},
		{`["insert","people",{"id":3,"name":"Cy","age":40,"address":{"city":"Oslo"}}]`, `[0,1]`, false},
		{`["select","people",{"where":["=","name","Bob"]}]`, `[0,[{"id":1,"name":"Bob","age":31}]]`, false},
		{`["select","people",{"where":[">=","age",30],"order":["age","desc"],"only":"name"}]`, `[0,["Cy","Bob"]]`, false},
		{`["select","people",{"where":["=","address.city","Oslo"],"only":"id"}]`, `[0,[3]]`, false},
		{`["count","people"]`, `[0,3]`, false},
		{`["count","people",{"where":["in","name",["Bob","Amy"]]}]`, `[0,2]`, false},
		{`["update","people",{"age":32},{"where":["=","id",1]}]`, `[0,1]`, false},
		{`["create-index","people","age"]`, `[0,1]`, false},
		{`["create-index","people","age"]`, `[0,0]`, false},
		{`["explain",["select","people",{"where":["=","age",32]}]]`, `[0,["index-lookup",["people","age",32]]]`, false},
		{`["list-indexes","people"]`, `[0,["age"]]`, false},
		{`["list-collections"]`, `[0,["people"]]`, false},
		{`["multi-read",[["count","people"],["ping"]]]`, `[0,[3,"pong"]]`, false},
		{`["checked-write",["count","people"],3,["insert","people",{"id":4}]]`, `[0,[true,1]]`, false},
		{`["checked-write",["count","people"],3,["insert","people",{"id":5}]]`, `[0,[false,4]]`, false},
		{`["info"]`, `[0,{"fleetdb-version":`, true},
		{`["delete","people",{"where":["=","id",4]}]`, `[0,1]`, false},
		// Refusals: status 1 with the SPEC prefixes; nothing changes.
		{`["insert","people",{"id":1}]`, `[1,"` + protocol.PrefixDuplicatedID + `1"]`, false},
		{`["insert","people",[{"id":9},{"id":9}]]`, `[1,"` + protocol.PrefixDuplicatedID, true},
		{`["insert","people",{"name":"Nobody"}]`, `[1,"` + protocol.MsgNoID, true},
		{`["select","people",{"limit":"x"}]`, `[1,"` + protocol.PrefixMalformedQuery, true},
		{`["select","people",{"bogus":1}]`, `[1,"` + protocol.PrefixMalformedQuery, true},
		{`["frobnicate"]`, `[1,"` + protocol.PrefixMalformedQuery + `unknown query \"frobnicate\""]`, false},
		{`["update","people",{"id":7},{"where":["=","id",1]}]`, `[1,"` + protocol.PrefixMalformedQuery, true},
		{`[`, `[1,"` + protocol.PrefixMalformedJSON, true},
		{`{"ping":1}`, `[1,"` + protocol.PrefixMalformedQuery, true},
		{`not json at all`, `[1,"` + protocol.PrefixMalformedJSON, true},
		{`[]`, `[1,"` + protocol.PrefixMalformedQuery, true},
		{`["call","nope"]`, `[1,"` + protocol.PrefixMalformedQuery, true},
		{`["count","people"]`, `[0,3]`, false},
		{`["compact"]`, `[0,false]`, false},
		{`["drop-collection","people"]`, `[0,1]`, false},
		{`["clear"]`, `[0,0]`, false},
		{`["ping"]`, `[0,"pong"]`, false},
	}
	for _, s := range steps {
		got := c.query(s.req)
		if s.prefix && !strings.HasPrefix(got, s.want) || !s.prefix && got != s.want {
			t.Errorf("%s\n got  %s\n want %s%s", s.req, got, s.want, map[bool]string{true: "…"}[s.prefix])
		}
	}
}

// TestOriginalClientStyle talks like the Ruby and Python clients of the
// original FleetDB: one query per line ended by CRLF, one CRLF-terminated
// line read back per query, for a sequence of queries.
func TestOriginalClientStyle(t *testing.T) {
	ts := startServer(t, newDB(t), server.Config{})
	c := dial(t, ts.addr)
	for i := range 50 {
		if got, want := c.query(fmt.Sprintf(`["insert","items",{"id":%d,"n":%d}]`, i, i*i)), `[0,1]`; got != want {
			t.Fatalf("insert %d: %s, want %s", i, got, want)
		}
	}
	for i := range 50 {
		got := c.query(fmt.Sprintf(`["select","items",{"where":["=","id",%d]}]`, i))
		if want := fmt.Sprintf(`[0,[{"id":%d,"n":%d}]]`, i, i*i); got != want {
			t.Fatalf("select %d: %s, want %s", i, got, want)
		}
	}
	if got := c.query(`["count","items",{"where":[">=<","n",[100,400]]}]`); got != `[0,10]` {
		t.Fatalf("count: %s", got)
	}
}

// TestLineEndings: CRLF and bare LF both end a request; blank lines (empty
// or whitespace only) get no answer; answers always end with CRLF.
func TestLineEndings(t *testing.T) {
	ts := startServer(t, newDB(t), server.Config{})
	c := dial(t, ts.addr)
	c.send("[\"ping\"]\n\r\n\n   \t\r\n[\"count\",\"x\"]\r\n\n[\"ping\"]\r\n")
	for _, want := range []string{`[0,"pong"]`, `[0,0]`, `[0,"pong"]`} {
		if got := c.recv(); got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	}
	c.expectOpen(100 * time.Millisecond) // the blank lines were not answered
}

// TestMalformedKeepsConnection: malformed requests are answered, never close
// the connection and never change the database.
func TestMalformedKeepsConnection(t *testing.T) {
	ts := startServer(t, newDB(t), server.Config{})
	c := dial(t, ts.addr)
	if got := c.query(`["insert","t",{"id":1}]`); got != `[0,1]` {
		t.Fatal(got)
	}
	for _, bad := range []string{
		`["insert","t",{"id":2}`,                                            // truncated JSON
		`["insert","t",[{"id":2},{"id":1}]]`,                                // duplicate: nothing inserted
		`["multi-write",[["insert","t",{"id":3}],["insert","t",{"id":1}]]]`, // all or nothing
		"\x00\xff\xfe",
		`["update","t",{"x":1},{"where":["bogus"]}]`,
		`"just a string"`,
		strings.Repeat("[", 200) + strings.Repeat("]", 200),
	} {
		if got := c.query(bad); !strings.HasPrefix(got, `[1,"`) {
			t.Errorf("%q: got %s, want status 1", bad, got)
		}
	}
	if got := c.query(`["select","t"]`); got != `[0,[{"id":1}]]` {
		t.Fatalf("database changed: %s", got)
	}
}

// TestRequestTooLarge: a line over the limit is answered and skipped; the
// next line on the same connection is served.
func TestRequestTooLarge(t *testing.T) {
	ts := startServer(t, newDB(t), server.Config{MaxRequestBytes: 100})
	c := dial(t, ts.addr)
	big := `["insert","t",{"id":1,"pad":"` + strings.Repeat("x", 5000) + `"}]`
	c.send(big + "\r\n" + `["ping"]` + "\r\n" + `["insert","t",{"id":2}]` + "\n")
	want := `[1,"` + protocol.RequestTooLargeMessage(100) + `"]`
	if got := c.recv(); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if got := c.recv(); got != `[0,"pong"]` {
		t.Fatalf("after the large line: %s", got)
	}
	if got := c.recv(); got != `[0,1]` {
		t.Fatalf("insert: %s", got)
	}
	// Exactly at the limit is fine (terminator excluded).
	line := `["ping"` + strings.Repeat(" ", 100-len(`["ping"]`)) + `]`
	if got := c.query(line); got != `[0,"pong"]` {
		t.Fatalf("line of exactly the limit: %s", got)
	}
	if got := c.query(`["count","t"]`); got != `[0,1]` {
		t.Fatalf("the large insert changed the database: %s", got)
	}
}

// TestPipelining sends hundreds of requests in one write and reads all the
// answers, in order.
func TestPipelining(t *testing.T) {
	ts := startServer(t, newDB(t), server.Config{})
	c := dial(t, ts.addr)
	const n = 600
	var reqs strings.Builder
	var want []string
	for i := range n {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&reqs, `["insert","p",{"id":%d}]`+"\r\n", i)
			want = append(want, `[0,1]`)
		case 1:
			fmt.Fprintf(&reqs, `["count","p"]`+"\n")
			want = append(want, fmt.Sprintf(`[0,%d]`, i/4+1))
		case 2:
			fmt.Fprintf(&reqs, `["insert","p",{"id":%d}]`+"\r\n", i-2) // duplicate
			want = append(want, fmt.Sprintf(`[1,"Duplicated id: %d"]`, i-2))
		case 3:
			reqs.WriteString(`["ping"]` + "\r\n")
			want = append(want, `[0,"pong"]`)
		}
	}
	c.send(reqs.String())
	for i, w := range want {
		if got := c.recv(); got != w {
			t.Fatalf("answer %d: got %s, want %s", i, got, w)
		}
	}
}

// TestPipeliningPartialLine: an answer is not held back while the next
// pipelined line is incomplete.
func TestPipeliningPartialLine(t *testing.T) {
	ts := startServer(t, newDB(t), server.Config{})
	c := dial(t, ts.addr)
	c.send(`["ping"]` + "\r\n" + `["pi`)
	if got := c.recv(); got != `[0,"pong"]` {
		t.Fatal(got)
	}
	c.send("ng\"]\r\n")
	if got := c.recv(); got != `[0,"pong"]` {
		t.Fatal(got)
	}
}
