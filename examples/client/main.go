package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/fleetdb-go/fleetdb/client"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3400", "server address")
	password := flag.String("x", "", "server password, if it has one")
	flag.Parse()
	if err := run(*addr, *password); err != nil {
		log.Fatal(err)
	}
}

type person struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	Age  int    `json:"age"`
	City string `json:"city,omitempty"`
}

func run(addr, password string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// One Client is a pool of connections, safe for concurrent use.
	c, err := client.Dial(ctx, addr, client.WithPassword(password))
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Ping(ctx); err != nil {
		return err
	}

	// Start from a clean collection (this example owns "example-people").
	const coll = "example-people"
	if _, err := c.DropCollection(ctx, coll); err != nil {
		return err
	}
	n, err := c.Insert(ctx, coll,
		person{1, "Bob", 31, "Oslo"}, person{2, "Amy", 29, "Lima"}, person{3, "Cy", 40, "Oslo"})
	if err != nil {
		return err
	}
	fmt.Println("inserted", n)

	// An insert of an id already there is refused (status 1): nothing is
	// written, and sending it again would be refused again.
	_, err = c.Insert(ctx, coll, person{ID: 1, Name: "Dup"})
	var qe *client.Error
	if errors.As(err, &qe) && client.IsRefused(err) && qe.HasPrefix("Duplicated id: ") {
		fmt.Println("refused as expected:", qe.Message)
	} else {
		return fmt.Errorf("duplicate insert: %v", err)
	}

	if _, err := c.CreateIndex(ctx, coll, "city"); err != nil {
		return err
	}
	recs, err := c.Select(ctx, coll, client.FindOptions{
		Where: []any{"=", "city", "Oslo"},
		Order: []any{"age", "desc"},
	})
	if err != nil {
		return err
	}
	for _, r := range recs {
		var p person
		if err := json.Unmarshal(r, &p); err != nil {
			return err
		}
		fmt.Printf("in Oslo: %s (%d)\n", p.Name, p.Age)
	}
	plan, err := c.Explain(ctx, []any{"select", coll, map[string]any{"where": []any{"=", "city", "Oslo"}}})
	if err != nil {
		return err
	}
	fmt.Println("plan:", string(plan))

	// Any query as JSON: here an atomic multi-write.
	out, err := c.Query(ctx, []any{"multi-write", []any{
		[]any{"update", coll, map[string]any{"age": 32}, map[string]any{"where": []any{"=", "id", 1}}},
		[]any{"delete", coll, map[string]any{"where": []any{"<", "age", 30}}},
	}})
	if err != nil {
		return err
	}
	fmt.Println("multi-write:", string(out))

	// Many independent queries in one round trip; each has its own result.
	results, err := c.Pipeline(ctx, []any{
		[]any{"count", coll},
		[]any{"select", coll, map[string]any{"only": "name", "order": []any{"name", "asc"}}},
		[]any{"bogus"},
	})
	if err != nil {
		return err
	}
	for i, r := range results {
		if r.Err != nil {
			fmt.Printf("pipelined %d: error: %v\n", i, r.Err)
			continue
		}
		fmt.Printf("pipelined %d: %s\n", i, r.Value)
	}
	return nil
}
