package fleetdb_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/fleetdb-go/fleetdb"
)

// Person is the record type of the examples. Its ID field has no json tag:
// Insert stores it as the "id" attribute every record needs.
type Person struct {
	ID   int
	Name string
	City string
	Age  int
}

var people = []Person{
	{1, "Bob", "Oslo", 31},
	{2, "Amy", "Lima", 27},
	{3, "Cid", "Oslo", 45},
	{4, "Dee", "Pune", 38},
}

// mustOpen opens an ephemeral database holding people.
func mustOpen() *fleetdb.DB {
	db, err := fleetdb.Open(fleetdb.Options{})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := db.Insert(context.Background(), "people", people); err != nil {
		log.Fatal(err)
	}
	return db
}

// A database with a log file keeps its records: opening the file again
// replays them. Options{} (no Path) is an ephemeral database.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "fleetdb-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "app.fdb")
	ctx := context.Background()

	db, err := fleetdb.Open(fleetdb.Options{Path: path})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := db.Insert(ctx, "people", Person{ID: 1, Name: "Bob"}); err != nil {
		log.Fatal(err)
	}
	if err := db.Close(); err != nil {
		log.Fatal(err)
	}

	db, err = fleetdb.Open(fleetdb.Options{Path: path})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	n, err := db.Count(ctx, "people", fleetdb.Find{})
	fmt.Println(n, err)
	// Output: 1 <nil>
}

// Insert takes records as arguments or as one slice; a struct's untagged
// ID field is its id. A missing or duplicated id refuses the whole batch.
func ExampleDB_Insert() {
	ctx := context.Background()
	db, err := fleetdb.Open(fleetdb.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	n, err := db.Insert(ctx, "people", people) // every element of the slice
	fmt.Println(n, err)
	n, err = db.Insert(ctx, "people", Person{ID: 5, Name: "Eve"}, map[string]any{"id": 6, "Name": "Fay"})
	fmt.Println(n, err)

	_, err = db.Insert(ctx, "people", Person{ID: 1})
	fmt.Println(err, errors.Is(err, fleetdb.ErrRefused))

	type badTag struct {
		ID int `json:"ID"`
	}
	_, err = db.Insert(ctx, "people", badTag{7})
	fmt.Println(err)
	// Output:
	// 4 <nil>
	// 2 <nil>
	// Duplicated id: 1 true
	// fleetdb: insert people: record 0 has no "id" attribute; its struct field ID marshals as "ID": tag it json:"id": Record does not have an id
}

// Find selects with conditions (Eq, Range, And, ...), an order, a limit
// and projections; SelectInto decodes the records into Go values.
func ExampleDB_SelectInto() {
	ctx := context.Background()
	db := mustOpen()
	defer db.Close()

	var found []Person
	err := db.SelectInto(ctx, "people", fleetdb.Find{
		Where: fleetdb.And(fleetdb.Eq("City", "Oslo"), fleetdb.Range("Age", fleetdb.Incl(30), fleetdb.Excl(50))),
		Order: []fleetdb.Order{fleetdb.Desc("Age")},
	}, &found)
	fmt.Println(found, err)

	var names []string
	err = db.SelectInto(ctx, "people", fleetdb.Find{Where: fleetdb.Gt("Age", 30), Order: []fleetdb.Order{fleetdb.Asc("Name")}, Pluck: "Name"}, &names)
	fmt.Println(names, err)

	n, err := db.Count(ctx, "people", fleetdb.Find{Where: fleetdb.In("City", "Lima", "Pune")})
	fmt.Println(n, err)
	// Output:
	// [{3 Cid Oslo 45} {1 Bob Oslo 31}] <nil>
	// [Bob Cid Dee] <nil>
	// 2 <nil>
}

// Range names which end of a range is included: Incl(v) or Excl(v).
func ExampleRange() {
	ctx := context.Background()
	db := mustOpen()
	defer db.Close()

	var ids []int
	err := db.SelectInto(ctx, "people", fleetdb.Find{
		Where: fleetdb.Range("Age", fleetdb.Incl(27), fleetdb.Excl(38)), // 27 <= Age < 38
		Order: []fleetdb.Order{fleetdb.Asc("id")},
		Pluck: "id",
	}, &ids)
	fmt.Println(ids, err)
	// Output: [1 2] <nil>
}

// GetInto decodes one record by id; a missing one is ErrNotFound. Get
// returns the record's JSON, or nil without an error when there is none.
func ExampleDB_GetInto() {
	ctx := context.Background()
	db := mustOpen()
	defer db.Close()

	var p Person
	err := db.GetInto(ctx, "people", 2, &p)
	fmt.Println(p, err)

	err = db.GetInto(ctx, "people", 99, &p)
	fmt.Println(errors.Is(err, fleetdb.ErrNotFound), err)

	rec, err := db.Get(ctx, "people", 99)
	fmt.Println(rec == nil, err)
	// Output:
	// {2 Amy Lima 27} <nil>
	// true fleetdb: record not found: people id 99
	// true <nil>
}

// A snapshot keeps seeing the database as it was when it was taken.
func ExampleDB_Snapshot() {
	ctx := context.Background()
	db := mustOpen()
	defer db.Close()

	snap := db.Snapshot()
	if _, err := db.Delete(ctx, "people", fleetdb.Find{Where: fleetdb.Eq("City", "Oslo")}); err != nil {
		log.Fatal(err)
	}
	before, _ := snap.Count(ctx, "people", fleetdb.Find{})
	now, _ := db.Count(ctx, "people", fleetdb.Find{})
	fmt.Println(before, now)
	// Output: 4 2
}

// A user command is a Go function run as one write; Call (or the query
// ["call", name, args...]) runs it. It is all or nothing: an error undoes
// its changes.
func ExampleDB_Register() {
	ctx := context.Background()
	db := mustOpen()
	defer db.Close()

	// move: ["call", "move", from, to] moves everyone in one city to another.
	err := db.Register("move", func(tx *fleetdb.Tx, args []json.RawMessage) (any, error) {
		var from, to string
		if len(args) != 2 || json.Unmarshal(args[0], &from) != nil || json.Unmarshal(args[1], &to) != nil {
			return nil, errors.New("want two city names")
		}
		return tx.UpdateWhere("people", map[string]any{"City": to}, fleetdb.Find{Where: fleetdb.Eq("City", from)})
	})
	if err != nil {
		log.Fatal(err)
	}

	out, err := db.Call(ctx, "move", "Oslo", "Bergen")
	fmt.Println(string(out), err)
	_, err = db.Call(ctx, "move", "Oslo")
	fmt.Println(err)
	n, _ := db.Count(ctx, "people", fleetdb.Find{Where: fleetdb.Eq("City", "Bergen")})
	fmt.Println(n)
	// Output:
	// 2 <nil>
	// Command failed: move: want two city names
	// 2
}

// Update runs a Go function as one transaction: its reads see its own
// writes, and an error undoes all of them. View reads one snapshot.
func ExampleDB_Update() {
	ctx := context.Background()
	db := mustOpen()
	defer db.Close()

	// Move Bob's age to Amy, or nothing.
	err := db.Update(ctx, func(tx *fleetdb.Tx) error {
		var bob Person
		if err := tx.GetInto("people", 1, &bob); err != nil {
			return err
		}
		if _, err := tx.UpdateWhere("people", map[string]any{"Age": bob.Age}, fleetdb.Find{Where: fleetdb.Eq("id", 2)}); err != nil {
			return err
		}
		return nil
	})
	fmt.Println(err)

	err = db.Update(ctx, func(tx *fleetdb.Tx) error {
		if _, err := tx.Delete("people", fleetdb.Find{}); err != nil {
			return err
		}
		return errors.New("changed my mind") // nothing was deleted
	})
	fmt.Println(err)

	err = db.View(ctx, func(s *fleetdb.Snapshot) error {
		var amy Person
		if err := s.GetInto(ctx, "people", 2, &amy); err != nil {
			return err
		}
		n, err := s.Count(ctx, "people", fleetdb.Find{})
		fmt.Println(amy.Age, n)
		return err
	})
	fmt.Println(err)
	// Output:
	// <nil>
	// changed my mind
	// 31 4
	// <nil>
}

// The JSON query language is the same as the server's.
func ExampleDB_Query() {
	ctx := context.Background()
	db := mustOpen()
	defer db.Close()

	out, err := db.Query(ctx, []byte(`["select","people",{"where":["=","City","Oslo"],"only":"Name","order":["id","asc"]}]`))
	fmt.Println(string(out), err)
	// Output: ["Bob","Cid"] <nil>
}

// Watch follows the changes to a collection: each write's events arrive
// once it is durable. Initial sends the records there at the start first.
func ExampleDB_Watch() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db := mustOpen()
	defer db.Close()

	feed, err := db.Watch(ctx, "people", fleetdb.WatchOptions{Where: fleetdb.Eq("City", "Oslo"), Initial: true})
	if err != nil {
		log.Fatal(err)
	}
	defer feed.Close()

	if _, err := db.Insert(ctx, "people", Person{ID: 5, Name: "Eve", City: "Oslo"}, Person{ID: 6, Name: "Fay", City: "Lima"}); err != nil {
		log.Fatal(err)
	}
	if _, err := db.UpdateWhere(ctx, "people", map[string]any{"Age": 32}, fleetdb.Find{Where: fleetdb.Eq("id", 1)}); err != nil {
		log.Fatal(err)
	}
	for range 5 { // 2 initial records, "ready", the insert of Eve, the update of Bob
		ev, err := feed.Next(ctx)
		if err != nil {
			log.Fatal(err)
		}
		if ev.New == nil {
			fmt.Println(ev.Op)
		} else {
			fmt.Println(ev.Op, string(ev.ID), string(ev.New))
		}
	}
	// Output:
	// initial 1 {"id":1,"Name":"Bob","City":"Oslo","Age":31}
	// initial 3 {"id":3,"Name":"Cid","City":"Oslo","Age":45}
	// ready
	// insert 5 {"id":5,"Name":"Eve","City":"Oslo","Age":0}
	// update 1 {"id":1,"Name":"Bob","City":"Oslo","Age":32}
}
