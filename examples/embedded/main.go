package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"

	"github.com/fleetdb-go/fleetdb"
)

func main() {
	path := flag.String("f", "", "log file (empty: ephemeral)")
	flag.Parse()
	if err := run(*path); err != nil {
		log.Fatal(err)
	}
}

func run(path string) error {
	ctx := context.Background()
	db, err := fleetdb.Open(fleetdb.Options{Path: path})
	if err != nil {
		return err
	}
	defer db.Close()

	// With a log file, a second run finds the first run's records: the log
	// replays without the program's commands (a call is logged as the
	// writes it made), so the command may be registered at any time.
	if n, err := db.Count(ctx, "people", fleetdb.Find{}); err != nil {
		return err
	} else if n > 0 {
		fmt.Printf("%s holds %d people from an earlier run; starting over\n", path, n)
		if _, err := db.DropCollection(ctx, "people"); err != nil {
			return err
		}
	}

	// The JSON query language, exactly as the protocol speaks it.
	show := func(q string) error {
		out, err := db.Query(ctx, []byte(q))
		if err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
		fmt.Printf("%s\n  → %s\n", q, out)
		return nil
	}
	for _, q := range []string{
		`["insert","people",[{"id":1,"name":"Bob","age":31,"address":{"city":"Oslo"}},{"id":2,"name":"Amy","age":27,"address":{"city":"Lima"}},{"id":3,"name":"Cid","age":45}]]`,
		`["create-index","people","age"]`,
		`["select","people",{"where":[">=","age",30],"order":["age","desc"],"only":["name","address.city"]}]`,
		`["explain",["select","people",{"where":[">=","age",30],"order":["age","desc"]}]]`,
	} {
		if err := show(q); err != nil {
			return err
		}
	}

	// Errors carry the protocol's classes.
	_, err = db.Query(ctx, []byte(`["insert","people",{"id":1}]`))
	fmt.Printf("duplicate insert → %v (refused: %v)\n", err, errors.Is(err, fleetdb.ErrRefused))

	// A snapshot does not see later writes.
	snap := db.Snapshot()

	// The typed API: no JSON strings to write.
	type person struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
		Age  int    `json:"age"`
	}
	if _, err := db.Insert(ctx, "people", person{ID: 4, Name: "Dee", Age: 38}); err != nil {
		return err
	}
	if _, err := db.UpdateWhere(ctx, "people", map[string]any{"age": 32}, fleetdb.Find{Where: fleetdb.Eq("name", "Bob")}); err != nil {
		return err
	}
	var thirties []person
	if err := db.SelectInto(ctx, "people", fleetdb.Find{Where: fleetdb.Range("age", fleetdb.Incl(30), fleetdb.Excl(40)), Order: []fleetdb.Order{fleetdb.Asc("age")}}, &thirties); err != nil {
		return err
	}
	fmt.Printf("in their thirties: %+v\n", thirties)
	then, _ := snap.Count(ctx, "people", fleetdb.Find{})
	now, _ := db.Count(ctx, "people", fleetdb.Find{})
	fmt.Printf("snapshot count %d, current count %d\n", then, now)

	// An ad-hoc transaction in the manner of bbolt and buntdb: all or
	// nothing, logged as its writes. Returning an error undoes it.
	err = db.Update(ctx, func(tx *fleetdb.Tx) error {
		if _, err := tx.Insert("people", person{ID: 5, Name: "Eve", Age: 22}); err != nil {
			return err
		}
		_, err := tx.UpdateWhere("people", map[string]any{"team": "blue"}, fleetdb.Find{Where: fleetdb.Lt("age", 30)})
		return err
	})
	if err != nil {
		return err
	}
	err = db.View(ctx, func(s *fleetdb.Snapshot) error {
		blue, err := s.Count(ctx, "people", fleetdb.Find{Where: fleetdb.Eq("team", "blue")})
		if err != nil {
			return err
		}
		all, err := s.Count(ctx, "people", fleetdb.Find{})
		fmt.Printf("team blue: %d of %d people\n", blue, all)
		return err
	})
	if err != nil {
		return err
	}

	// A user-defined write command: deterministic, atomic, replicated by name.
	err = db.Register("birthday", func(tx *fleetdb.Tx, args []json.RawMessage) (any, error) {
		var id int
		if len(args) != 1 || json.Unmarshal(args[0], &id) != nil {
			return nil, errors.New("usage: birthday <id>")
		}
		out, err := tx.Exec([]any{"select", "people", map[string]any{"where": []any{"=", "id", id}, "only": "age"}})
		if err != nil {
			return nil, err
		}
		var ages []int
		if err := json.Unmarshal(out, &ages); err != nil || len(ages) != 1 {
			return nil, fmt.Errorf("no person with id %d", id)
		}
		if _, err := tx.Exec([]any{"update", "people", map[string]any{"age": ages[0] + 1}, map[string]any{"where": []any{"=", "id", id}}}); err != nil {
			return nil, err
		}
		return ages[0] + 1, nil
	})
	if err != nil {
		return err
	}
	age, err := db.Call(ctx, "birthday", 2)
	if err != nil {
		return err
	}
	fmt.Printf("Amy is now %s\n", age)
	_, err = db.Call(ctx, "birthday", 99)
	fmt.Printf("birthday of nobody → %v\n", err)
	return nil
}
