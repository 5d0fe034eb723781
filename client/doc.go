// Package client is the Go client of a FleetDB server: a pool of TCP
// connections speaking the JSON-lines protocol of package protocol, with
// context support and pipelining.
//
//	ctx := context.Background()
//	c, err := client.Dial(ctx, "127.0.0.1:3400", client.WithPassword("secret"))
//	if err != nil {
//		return err
//	}
//	defer c.Close()
//
//	n, err := c.Insert(ctx, "people", map[string]any{"id": 1, "name": "Bob"})
//	recs, err := c.Select(ctx, "people", client.FindOptions{
//		Where: []any{"=", "name", "Bob"},
//		Limit: 10,
//	})
//	raw, err := c.Query(ctx, []any{"multi-read", []any{[]any{"count", "people"}, []any{"ping"}}})
//
//	// Many independent queries in one round trip:
//	results, err := c.Pipeline(ctx, []any{q1, q2, q3})
//
// # The embedded API's values
//
// The client takes what package fleetdb's DB takes: Insert and Put accept
// one slice of records and untagged ID struct fields as DB.Insert does, a
// fleetdb.Find can be passed as opts as it is, and FindOptions has the
// fields of fleetdb.Find, whose Where and Order take fleetdb's conditions
// (fleetdb.Eq, fleetdb.Range, ...) and orders. Errors have the same names:
// ErrRefused, ErrUnavailable, ErrOutcomeUnknown, ErrClosed.
//
// # Streams
//
// DialStream opens a connection of its own, outside the pool, for what a
// round trip per call cannot do: sending requests ahead of their answers
// without a bound on how many (Send, Flush, then Receive in order, one
// goroutine sending while another receives) and reading an answer of any
// size piece by piece (Answer: Expect, Next, Value, Skip, End). The fleetdb
// command's import, export, backup and restore, its bench and a cluster
// member's join use it.
//
//	st, err := client.DialStream(ctx, addr)
//	st.Send([]any{"select", "people"})
//	st.Flush()
//	a, err := st.Answer()
//	a.Expect('[')
//	for first := true; ; {
//		more, err := a.Next(&first)
//		if err != nil || !more {
//			break
//		}
//		rec, err := a.Value(nil) // one record at a time
//	}
//	err = a.End()
//
// # Errors
//
// A query the server answers with status 1 (refused) or 2 (failed) returns an
// *Error holding the status and the server's message; IsRefused and
// IsRetryable test them. Errors of the exchange itself are Go errors: a query
// that was sent but whose answer was not received (connection lost, ctx
// ended, answer too large) wraps ErrOutcomeUnknown, because the server may
// or may not have run it. The Err variables list the other cases.
//
// # No retries
//
// The client never sends a query twice. Retrying is the caller's choice,
// since only the caller knows whether a query is safe to repeat: reads are,
// an insert whose answer was lost is not (it may have been applied, and
// repeating it yields "Duplicated id"). A pooled connection that the server
// closed while idle (e.g. a restart) surfaces as an ErrOutcomeUnknown error
// on the next query that uses it; that connection is then discarded and the
// next call opens a fresh one.
//
// # Contexts and connections
//
// Every call takes a ctx. Its deadline becomes the connection's deadline; if
// it is canceled while the call is blocked on the connection, the connection
// is closed to unblock it and the call returns the ctx's error. A connection
// that saw an I/O error, an interruption or an unparsable answer is in an
// unknown state and is closed, never reused. At most WithPoolSize connections
// are open; calls beyond that wait (within their ctx) for one to be free.
//
// # Concurrency
//
// A Client is safe for concurrent use. It starts no background goroutine;
// Pipeline runs a writer goroutine for the duration of the call. A Stream
// is used by one goroutine, or one sending and one receiving.
package client
