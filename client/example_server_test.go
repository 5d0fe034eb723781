package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"

	"github.com/fleetdb-go/fleetdb"
	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/server"
)

// startServer serves an ephemeral database on a free loopback port, as
// `fleetdb serve -e` would, and returns its address and a stop function.
func startServer() (addr string, stop func()) {
	db, err := fleetdb.Open(fleetdb.Options{})
	if err != nil {
		log.Fatal(err)
	}
	srv, err := server.New(db, server.Config{})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	return ln.Addr().String(), func() {
		srv.Shutdown(context.Background())
		<-served
		db.Close()
	}
}

// The client takes what the embedded API takes: records as arguments or
// one slice, conditions and find-options of package fleetdb (or plain Go
// values), and its errors have the same names (ErrRefused, ErrUnavailable,
// ErrOutcomeUnknown).
func ExampleClient_Select() {
	addr, stop := startServer()
	defer stop()
	ctx := context.Background()

	c, err := client.Dial(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	type Person struct {
		ID   int // stored as "id", as with DB.Insert
		Name string
		Age  int
	}
	n, err := c.Insert(ctx, "people", []Person{{1, "Bob", 31}, {2, "Amy", 27}, {3, "Cid", 45}})
	fmt.Println(n, err)

	// A fleetdb.Find as it is...
	recs, err := c.Select(ctx, "people", fleetdb.Find{
		Where: fleetdb.Range("Age", fleetdb.Incl(30), fleetdb.Excl(50)),
		Order: []fleetdb.Order{fleetdb.Desc("Age")},
		Pluck: "Name",
	})
	fmt.Println(string(recs[0]), string(recs[1]), err)

	// ...or the same fields in a client.FindOptions.
	count, err := c.Count(ctx, "people", client.FindOptions{Where: fleetdb.Gt("Age", 28)})
	fmt.Println(count, err)

	_, err = c.Insert(ctx, "people", Person{ID: 1})
	fmt.Println(errors.Is(err, client.ErrRefused), err)
	// Output:
	// 3 <nil>
	// "Cid" "Bob" <nil>
	// 2 <nil>
	// true client: refused: Duplicated id: 1
}
