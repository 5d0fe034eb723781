package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/server"
)

// TestAuth checks SPEC §3's authentication, including exactly when the
// connection is closed.
func TestAuth(t *testing.T) {
	ts := startServer(t, newDB(t), server.Config{Password: "s3cret"})
	const wait = 2 * time.Second

	t.Run("accepted", func(t *testing.T) {
		c := dial(t, ts.addr)
		if got := c.query(`["auth","s3cret"]`); got != `[0,"auth accepted"]` {
			t.Fatal(got)
		}
		if got := c.query(`["ping"]`); got != `[0,"pong"]` {
			t.Fatal(got)
		}
		// A second auth, right or wrong, is unneeded and keeps the connection.
		if got := c.query(`["auth","s3cret"]`); got != `[0,"auth unneeded"]` {
			t.Fatal(got)
		}
		if got := c.query(`["auth","wrong"]`); got != `[0,"auth unneeded"]` {
			t.Fatal(got)
		}
		if got := c.query(`["auth"]`); !strings.HasPrefix(got, `[1,"Malformed query: `) {
			t.Fatal(got)
		}
		// Malformed requests after auth keep the connection (SPEC §3).
		if got := c.query(`{`); !strings.HasPrefix(got, `[1,"Malformed JSON: `) {
			t.Fatal(got)
		}
		if got := c.query(`["ping"]`); got != `[0,"pong"]` {
			t.Fatal(got)
		}
	})
	t.Run("rejected", func(t *testing.T) {
		c := dial(t, ts.addr)
		if got := c.query(`["auth","wrong"]`); got != `[1,"auth rejected"]` {
			t.Fatal(got)
		}
		c.expectEOF(wait)
	})
	t.Run("rejected, pipelined queries dropped", func(t *testing.T) {
		c := dial(t, ts.addr)
		c.send(`["auth","s3cre"]` + "\r\n" + `["insert","x",{"id":1}]` + "\r\n" + `["ping"]` + "\r\n")
		if got := c.recv(); got != `[1,"auth rejected"]` {
			t.Fatal(got)
		}
		c.expectEOF(wait)
	})
	for name, first := range map[string]string{
		"needed":             `["ping"]`,
		"needed, bad JSON":   `["auth","s3cret"`,
		"needed, not query":  `42`,
		"needed, escape":     `["\u0070ing"]`,
		"rejected, no pw":    `["auth"]`,
		"rejected, pw type":  `["auth",123]`,
		"rejected, escaped":  `["\u0061uth","nope"]`,
		"accepted, escaped":  `["\u0061uth","s3cret"]`,
		"needed, too large":  `["auth","` + strings.Repeat("x", 200) + `"]`,
		"needed, whitespace": ` [ "select" , "x" ] `,
	} {
		t.Run(name, func(t *testing.T) {
			srv := ts
			if strings.Contains(name, "too large") {
				srv = startServer(t, newDB(t), server.Config{Password: "s3cret", MaxRequestBytes: 64})
			}
			c := dial(t, srv.addr)
			got := c.query(first)
			switch {
			case strings.HasPrefix(name, "needed"):
				if got != `[1,"auth needed"]` {
					t.Fatalf("got %s, want auth needed", got)
				}
				c.expectEOF(wait)
			case strings.HasPrefix(name, "rejected"):
				if got != `[1,"auth rejected"]` {
					t.Fatalf("got %s, want auth rejected", got)
				}
				c.expectEOF(wait)
			default:
				if got != `[0,"auth accepted"]` {
					t.Fatalf("got %s, want auth accepted", got)
				}
				if got := c.query(`["ping"]`); got != `[0,"pong"]` {
					t.Fatal(got)
				}
			}
		})
	}
	t.Run("blank lines before auth", func(t *testing.T) {
		c := dial(t, ts.addr)
		c.send("\r\n  \n")
		if got := c.query(`["auth","s3cret"]`); got != `[0,"auth accepted"]` {
			t.Fatal(got)
		}
	})
}

// TestAuthUnneeded: without a password auth answers "auth unneeded",
// however often.
func TestAuthUnneeded(t *testing.T) {
	ts := startServer(t, newDB(t), server.Config{})
	c := dial(t, ts.addr)
	for range 3 {
		if got := c.query(`["auth","anything"]`); got != `[0,"auth unneeded"]` {
			t.Fatal(got)
		}
	}
	if got := c.query(`["ping"]`); got != `[0,"pong"]` {
		t.Fatal(got)
	}
}
