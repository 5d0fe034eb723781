package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/protocol"
)

// This example needs a FleetDB server on 127.0.0.1:3400, so it has no
// Output comment and is compiled but not run.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := client.Dial(ctx, "127.0.0.1:3400", client.WithPoolSize(4))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	if _, err := c.Insert(ctx, "people",
		map[string]any{"id": 1, "name": "Bob", "age": 42},
		map[string]any{"id": 2, "name": "Alice", "age": 37},
	); err != nil {
		var e *client.Error
		if errors.As(err, &e) && e.HasPrefix(protocol.PrefixDuplicatedID) {
			fmt.Println("already there:", e.Message)
		} else {
			log.Fatal(err)
		}
	}

	people, err := c.Select(ctx, "people", client.FindOptions{
		Where: []any{">", "age", 40},
		Order: []any{"age", "desc"},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range people {
		fmt.Println(string(p))
	}

	// Pipelining: one round trip for many queries; answers come in order.
	results, err := c.Pipeline(ctx, []any{
		[]any{"count", "people"},
		[]any{"select", "people", map[string]any{"only": "name"}},
		[]any{"no-such-query"},
	})
	if err != nil {
		log.Fatal(err) // the exchange failed; see client.ErrOutcomeUnknown
	}
	for _, r := range results {
		if r.Err != nil {
			fmt.Println("error:", r.Err) // e.g. client: refused: Malformed query: ...
			continue
		}
		fmt.Println(string(r.Value))
	}
}

// A Stream reads an answer of any size record by record: here every
// record of a collection, written out as JSON lines with bounded memory.
// Like Example, it needs a server on 127.0.0.1:3400 and is not run.
func ExampleDialStream() {
	ctx := context.Background()
	st, err := client.DialStream(ctx, "127.0.0.1:3400")
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	if err := st.Send([]any{"select", "people", map[string]any{"order": []any{"id", "asc"}}}); err != nil {
		log.Fatal(err)
	}
	if err := st.Flush(); err != nil {
		log.Fatal(err)
	}
	a, err := st.Answer() // a refused query is a *client.Error here
	if err != nil {
		log.Fatal(err)
	}
	if err := a.Expect('['); err != nil {
		log.Fatal(err)
	}
	var rec []byte
	for first := true; ; {
		more, err := a.Next(&first)
		if err != nil {
			log.Fatal(err)
		}
		if !more {
			break
		}
		if rec, err = a.Value(rec[:0]); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s\n", rec)
	}
	if err := a.End(); err != nil {
		log.Fatal(err)
	}
}
