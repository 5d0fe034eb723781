package fleetdb_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb"
	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/server"
)

// serve serves db on a loopback port and returns a client of it.
func serve(t testing.TB, db *fleetdb.DB) *client.Client {
	t.Helper()
	srv, err := server.New(db, server.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Shutdown(context.Background())
		<-served
	})
	c, err := client.Dial(context.Background(), ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type person struct {
	ID   int // no json tag: both APIs store it as "id"
	Name string
	City string
	Age  int
}

// TestSameVocabulary: the embedded API and the client take the same
// records, conditions and find-options, give the same results, and name
// their errors alike.
func TestSameVocabulary(t *testing.T) {
	ctx := context.Background()
	db, err := fleetdb.Open(fleetdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := serve(t, db)

	var people []person
	for i := 1; i <= 40; i++ {
		people = append(people, person{ID: i, Name: fmt.Sprint("p", i), City: []string{"Oslo", "Lima", "Pune"}[i%3], Age: 20 + i%25})
	}
	// Half through each API, as one slice argument.
	if n, err := db.Insert(ctx, "people", people[:20]); n != 20 || err != nil {
		t.Fatalf("db.Insert(slice) = %d, %v", n, err)
	}
	if n, err := c.Insert(ctx, "people", people[20:]); n != 20 || err != nil {
		t.Fatalf("client.Insert(slice) = %d, %v", n, err)
	}

	finds := []fleetdb.Find{
		{},
		{Where: fleetdb.Eq("City", "Oslo")},
		{Where: fleetdb.And(fleetdb.Eq("City", "Lima"), fleetdb.Range("Age", fleetdb.Incl(25), fleetdb.Excl(40))), Order: []fleetdb.Order{fleetdb.Desc("Age"), fleetdb.Asc("id")}},
		{Where: fleetdb.Or(fleetdb.In("id", 1, 2, 3), fleetdb.Gt("Age", 43)), Order: []fleetdb.Order{fleetdb.Asc("id")}, Offset: 1, Limit: 3},
		{Where: fleetdb.Ne("City", "Pune"), Only: []string{"id", "City"}, Order: []fleetdb.Order{fleetdb.Asc("id")}},
		{Order: []fleetdb.Order{fleetdb.Asc("City")}, Pluck: "City", Distinct: true},
		{Where: fleetdb.Range("id", fleetdb.Excl(5), fleetdb.Incl(9)), Order: []fleetdb.Order{fleetdb.Asc("id")}},
	}
	for i, f := range finds {
		want, err := db.Select(ctx, "people", f)
		if err != nil {
			t.Fatalf("find %d: db.Select: %v", i, err)
		}
		// The same Find value, passed to the client as it is.
		got, err := c.Select(ctx, "people", f)
		if err != nil || fmt.Sprint(raw(got)) != fmt.Sprint(raw(want)) {
			t.Errorf("find %d: client.Select(Find) = %s, %v; db.Select = %s", i, raw(got), err, raw(want))
		}
		// The same fields in a client.FindOptions (Pluck is Only with one name).
		var only any = f.Only
		if f.Pluck != "" && len(f.Only) == 0 {
			only = f.Pluck
		}
		opts := client.FindOptions{Where: f.Where, Order: f.Order, Offset: f.Offset, Limit: f.Limit, Only: only, Distinct: f.Distinct}
		got, err = c.Select(ctx, "people", opts)
		if err != nil || fmt.Sprint(raw(got)) != fmt.Sprint(raw(want)) {
			t.Errorf("find %d: client.Select(FindOptions) = %s, %v; db.Select = %s", i, raw(got), err, raw(want))
		}
		n, err := c.Count(ctx, "people", fleetdb.Find{Where: f.Where})
		wantN, _ := db.Count(ctx, "people", fleetdb.Find{Where: f.Where})
		if err != nil || n != wantN {
			t.Errorf("find %d: client.Count = %d, %v; db.Count = %d", i, n, err, wantN)
		}
	}

	// Updates and deletes take the same options.
	if n, err := c.Update(ctx, "people", map[string]any{"Age": 99}, fleetdb.Find{Where: fleetdb.Eq("id", 1)}); n != 1 || err != nil {
		t.Fatalf("client.Update(Find) = %d, %v", n, err)
	}
	var p person
	if err := db.GetInto(ctx, "people", 1, &p); err != nil || p.Age != 99 {
		t.Fatalf("after client update: %+v, %v", p, err)
	}

	// Errors: the same names, matched with errors.Is.
	_, dbErr := db.Insert(ctx, "people", person{ID: 1})
	_, cErr := c.Insert(ctx, "people", person{ID: 1})
	if !errors.Is(dbErr, fleetdb.ErrRefused) || !errors.Is(cErr, client.ErrRefused) || errors.Is(cErr, client.ErrUnavailable) {
		t.Errorf("duplicate: db %v, client %v", dbErr, cErr)
	}
	type upper struct {
		ID int `json:"ID"`
	}
	_, dbErr = db.Insert(ctx, "people", []upper{{100}})
	_, cErr = c.Insert(ctx, "people", []upper{{100}})
	const why = `record 0 has no "id" attribute; its struct field ID marshals as "ID": tag it json:"id"`
	if !strings.Contains(fmt.Sprint(dbErr), why) || !strings.Contains(fmt.Sprint(cErr), why) || !errors.Is(cErr, client.ErrRefused) || !client.IsRefused(cErr) {
		t.Errorf("missing id: db %v, client %v", dbErr, cErr)
	}
	if client.ErrUnknownOutcome != client.ErrOutcomeUnknown { //nolint:staticcheck // the deprecated name is the same value
		t.Errorf("ErrUnknownOutcome is not ErrOutcomeUnknown")
	}
	db.Close()
	_, dbErr = db.Count(ctx, "people", fleetdb.Find{})
	_, cErr = c.Count(ctx, "people", fleetdb.Find{})
	if !errors.Is(dbErr, fleetdb.ErrUnavailable) || !errors.Is(cErr, client.ErrUnavailable) || errors.Is(cErr, client.ErrRefused) || !client.IsRetryable(cErr) {
		t.Errorf("closed: db %v, client %v", dbErr, cErr)
	}
}

func raw[T ~[]byte](recs []T) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r)
	}
	return out
}
