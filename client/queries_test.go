package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/fleetdb-go/fleetdb/protocol"
)

func TestTypedHelpers(t *testing.T) {
	var mu sync.Mutex
	var got string // the last query the server saw
	answer := "0"
	handler := func(q []json.RawMessage) (protocol.Status, string) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(q)
		mu.Lock()
		defer mu.Unlock()
		got = strings.TrimSpace(buf.String())
		return protocol.StatusOK, answer
	}
	s := newFakeServer(t, "", func(s *fakeServer) { s.handler = handler })
	c := dial(t, s)
	ctx := context.Background()
	set := func(a string) { mu.Lock(); answer = a; mu.Unlock() }
	check := func(want string) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		if got != want {
			t.Errorf("query sent = %s, want %s", got, want)
		}
		got = ""
	}

	rec := map[string]any{"id": 1, "name": "Bob"}
	set("2")
	if n, err := c.Insert(ctx, "people", rec, map[string]any{"id": 2}); err != nil || n != 2 {
		t.Errorf("Insert = %d, %v", n, err)
	}
	check(`["insert","people",[{"id":1,"name":"Bob"},{"id":2}]]`)
	if n, err := c.Put(ctx, "people", rec); err != nil || n != 2 {
		t.Errorf("Put = %d, %v", n, err)
	}
	check(`["put","people",[{"id":1,"name":"Bob"}]]`)
	if n, err := c.Insert(ctx, "people"); err != nil || n != 0 {
		t.Errorf("empty Insert = %d, %v", n, err)
	}
	check(``)

	set(`[{"id":1},{"id":2}]`)
	recs, err := c.Select(ctx, "people", FindOptions{Where: []any{"=", "name", "Bob"}, Order: []any{"age", "desc"}, Limit: 5})
	if err != nil || len(recs) != 2 || string(recs[1]) != `{"id":2}` {
		t.Errorf("Select = %s, %v", recs, err)
	}
	check(`["select","people",{"where":["=","name","Bob"],"order":["age","desc"],"limit":5}]`)
	c.Select(ctx, "people", nil)
	check(`["select","people"]`)
	c.Select(ctx, "people", (*FindOptions)(nil))
	check(`["select","people"]`)
	c.Select(ctx, "people", map[string]any{"limit": 0})
	check(`["select","people",{"limit":0}]`)
	c.Select(ctx, "people", &FindOptions{Only: "name", Distinct: true, Offset: 3})
	check(`["select","people",{"offset":3,"only":"name","distinct":true}]`)

	set("3")
	if n, err := c.Count(ctx, "people", FindOptions{Where: []any{">", "age", 30}}); err != nil || n != 3 {
		t.Errorf("Count = %d, %v", n, err)
	}
	check(`["count","people",{"where":[">","age",30]}]`)
	if n, err := c.Update(ctx, "people", map[string]any{"age": nil}, nil); err != nil || n != 3 {
		t.Errorf("Update = %d, %v", n, err)
	}
	check(`["update","people",{"age":null}]`)
	if n, err := c.Delete(ctx, "people", json.RawMessage(`{"where":["=","id",1]}`)); err != nil || n != 3 {
		t.Errorf("Delete = %d, %v", n, err)
	}
	check(`["delete","people",{"where":["=","id",1]}]`)

	set("1")
	if ok, err := c.CreateIndex(ctx, "people", []any{"city", []any{"age", "desc"}}); err != nil || !ok {
		t.Errorf("CreateIndex = %v, %v", ok, err)
	}
	check(`["create-index","people",["city",["age","desc"]]]`)
	set("0")
	if ok, err := c.DropIndex(ctx, "people", "age"); err != nil || ok {
		t.Errorf("DropIndex = %v, %v", ok, err)
	}
	check(`["drop-index","people","age"]`)
	if ok, err := c.DropCollection(ctx, "people"); err != nil || ok {
		t.Errorf("DropCollection = %v, %v", ok, err)
	}
	check(`["drop-collection","people"]`)

	set(`["a","b"]`)
	if names, err := c.ListCollections(ctx); err != nil || !reflect.DeepEqual(names, []string{"a", "b"}) {
		t.Errorf("ListCollections = %v, %v", names, err)
	}
	check(`["list-collections"]`)
	set(`["age",[["a","asc"],"b"]]`)
	if specs, err := c.ListIndexes(ctx, "people"); err != nil || len(specs) != 2 || string(specs[1]) != `[["a","asc"],"b"]` {
		t.Errorf("ListIndexes = %s, %v", specs, err)
	}
	check(`["list-indexes","people"]`)

	set(`{"fleetdb-version":"0.1.0","persistent":true,"db-file-size":4096,"compacting":false,"records":12}`)
	info, err := c.Info(ctx)
	if err != nil || info.Version != "0.1.0" || !info.Persistent || info.DBFileSize != 4096 || info.Compacting || len(info.Raw) == 0 {
		t.Errorf("Info = %+v, %v", info, err)
	}
	check(`["info"]`)
	set(`["collection-scan","people"]`)
	if plan, err := c.Explain(ctx, []any{"select", "people"}); err != nil || string(plan) != `["collection-scan","people"]` {
		t.Errorf("Explain = %s, %v", plan, err)
	}
	check(`["explain",["select","people"]]`)
	set(`true`)
	if ok, err := c.Compact(ctx); err != nil || !ok {
		t.Errorf("Compact = %v, %v", ok, err)
	}
	check(`["compact"]`)

	// Results of the wrong shape.
	set(`"three"`)
	if _, err := c.Count(ctx, "people", nil); !errors.Is(err, ErrUnexpectedResult) {
		t.Errorf("Count of a string = %v", err)
	}
	set(`7`)
	if _, err := c.CreateIndex(ctx, "people", "x"); !errors.Is(err, ErrUnexpectedResult) {
		t.Errorf("CreateIndex answering 7 = %v", err)
	}
	if _, err := c.Select(ctx, "people", nil); !errors.Is(err, ErrUnexpectedResult) {
		t.Errorf("Select answering 7 = %v", err)
	}
}
