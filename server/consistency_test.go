package server_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/protocol"
	"github.com/fleetdb-go/fleetdb/query"
	"github.com/fleetdb-go/fleetdb/server"
)

// consistencyExec answers every query with the read consistency its ctx
// asks for ("local" or "linearizable") and records the requests it saw.
type consistencyExec struct {
	mu   sync.Mutex
	seen []string
}

func (e *consistencyExec) Query(ctx context.Context, req []byte) ([]byte, error) {
	e.mu.Lock()
	e.seen = append(e.seen, string(req))
	e.mu.Unlock()
	return []byte(`"` + query.ReadConsistencyFrom(ctx).String() + `"`), nil
}

func (e *consistencyExec) requests() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.seen...)
}

// TestSetReadConsistency: the level set on a connection reaches every
// later query of that connection (and of no other), a malformed setting is
// refused and changes nothing, and the Executor never sees the setting.
func TestSetReadConsistency(t *testing.T) {
	exec := &consistencyExec{}
	ts := startServer(t, exec, server.Config{})
	c := dial(t, ts.addr)
	other := dial(t, ts.addr)
	refused := `[1,"` + protocol.PrefixMalformedQuery
	steps := []struct {
		c         *client
		req, want string
		prefix    bool
	}{
		{c, `["select","x"]`, `[0,"linearizable"]`, false},
		{c, `["set-read-consistency","local"]`, `[0,"local"]`, false},
		{c, `["select","x"]`, `[0,"local"]`, false},
		{c, `["count","x"]`, `[0,"local"]`, false},
		{other, `["select","x"]`, `[0,"linearizable"]`, false},
		// Refused settings leave the level as it was.
		{c, `["set-read-consistency","stale"]`, refused + `read consistency must be \"local\" or \"linearizable\", got \"stale\""]`, false},
		{c, `["set-read-consistency",1]`, refused, true},
		{c, `["set-read-consistency"]`, refused, true},
		{c, `["set-read-consistency","local","x"]`, refused, true},
		{c, `["set-read-consistency","local"`, `[1,"` + protocol.PrefixMalformedJSON, true},
		{c, `["select","x"]`, `[0,"local"]`, false},
		// A name written with escapes is still recognised.
		{c, ` [ "set-read-\u0063onsistency" , "linearizable" ] `, `[0,"linearizable"]`, false},
		{c, `["select","x"]`, `[0,"linearizable"]`, false},
		{other, `["set-read-consistency","local"]`, `[0,"local"]`, false},
		{c, `["select","x"]`, `[0,"linearizable"]`, false},
		{other, `["select","x"]`, `[0,"local"]`, false},
		{c, `["set-read-consistency","linearizable"]`, `[0,"linearizable"]`, false},
		{c, `["ping"]`, `[0,"linearizable"]`, false},
	}
	for i, s := range steps {
		got := s.c.query(s.req)
		if s.prefix && !strings.HasPrefix(got, s.want) || !s.prefix && got != s.want {
			t.Errorf("step %d: %s\n got  %s\n want %s%s", i, s.req, got, s.want, map[bool]string{true: "…"}[s.prefix])
		}
	}
	for _, req := range exec.requests() {
		if strings.Contains(req, "consistency") {
			t.Errorf("the Executor saw %s", req)
		}
	}
}

// TestSetReadConsistencyPipelined: a setting in the middle of a pipelined
// burst applies exactly to the requests after it.
func TestSetReadConsistencyPipelined(t *testing.T) {
	ts := startServer(t, &consistencyExec{}, server.Config{})
	c := dial(t, ts.addr)
	c.send(`["ping"]` + "\r\n" +
		`["set-read-consistency","local"]` + "\n" +
		`["ping"]` + "\r\n" +
		`["ping"]` + "\r\n" +
		`["set-read-consistency","linearizable"]` + "\r\n" +
		`["ping"]` + "\r\n")
	for i, want := range []string{
		`[0,"linearizable"]`, `[0,"local"]`, `[0,"local"]`, `[0,"local"]`,
		`[0,"linearizable"]`, `[0,"linearizable"]`,
	} {
		if got := c.recv(); got != want {
			t.Errorf("answer %d: %s, want %s", i, got, want)
		}
	}
}

// TestSetReadConsistencyNeedsAuth: on a server with a password the setting
// is a query like any other: before auth it closes the connection.
func TestSetReadConsistencyNeedsAuth(t *testing.T) {
	ts := startServer(t, &consistencyExec{}, server.Config{Password: "pw"})
	c := dial(t, ts.addr)
	if got, want := c.query(`["set-read-consistency","local"]`), `[1,"auth needed"]`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	c.expectEOF(5 * time.Second)

	c = dial(t, ts.addr)
	for _, s := range [][2]string{
		{`["auth","pw"]`, `[0,"auth accepted"]`},
		{`["set-read-consistency","local"]`, `[0,"local"]`},
		{`["select","x"]`, `[0,"local"]`},
	} {
		if got := c.query(s[0]); got != s[1] {
			t.Errorf("%s: %s, want %s", s[0], got, s[1])
		}
	}
}

// TestSetReadConsistencyMetrics: the setting is counted under its own
// query label.
func TestSetReadConsistencyMetrics(t *testing.T) {
	m := server.NewMetrics()
	ts := startServer(t, &consistencyExec{}, server.Config{Metrics: m})
	c := dial(t, ts.addr)
	c.query(`["set-read-consistency","local"]`)
	c.query(`["set-read-consistency","nope"]`)
	web := httptest.NewServer(ts.HTTPHandler())
	defer web.Close()
	_, text := get(t, web.URL+"/metrics")
	for _, want := range []string{
		`fleetdb_server_queries_total{query="set-read-consistency",status="ok"} 1`,
		`fleetdb_server_queries_total{query="set-read-consistency",status="refused"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestSetReadConsistencyDB: against a standalone database the setting is
// answered and later reads run as usual.
func TestSetReadConsistencyDB(t *testing.T) {
	ts := startServer(t, newDB(t), server.Config{})
	c := dial(t, ts.addr)
	for _, s := range [][2]string{
		{`["insert","p",{"id":1}]`, `[0,1]`},
		{`["set-read-consistency","local"]`, `[0,"local"]`},
		{`["select","p"]`, `[0,[{"id":1}]]`},
		{`["insert","p",{"id":2}]`, `[0,1]`},
		{`["count","p"]`, `[0,2]`},
	} {
		if got := c.query(s[0]); got != s[1] {
			t.Errorf("%s: %s, want %s", s[0], got, s[1])
		}
	}
}
