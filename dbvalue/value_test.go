package dbvalue

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/fleetdb-go/fleetdb/collection"
	"github.com/fleetdb-go/fleetdb/index"
	"github.com/tidwall/gjson"
)

// render shows a value's collections, indexes and records.
func render(v *Value) string {
	var b strings.Builder
	v.Each(func(name string, c collection.Collection) bool {
		fmt.Fprintf(&b, "%s:", name)
		for _, ix := range c.Indexes() {
			fmt.Fprintf(&b, " ix%s", ix.Spec().Raw())
		}
		c.Scan(func(_, rec string) bool {
			b.WriteString(" " + rec)
			return true
		})
		b.WriteString("\n")
		return true
	})
	return b.String()
}

func mustCheck(tb testing.TB, v *Value) {
	tb.Helper()
	if err := v.Check(); err != nil {
		tb.Fatal(err)
	}
}

func insert(t *Txn, coll string, n int) {
	id := index.EncodeJSON(strconv.Itoa(n))
	c := t.Collection(coll).Put(t.Edit(), id, fmt.Sprintf(`{"id":%d,"a":%d}`, n, n%3), nil)
	t.SetCollection(coll, c)
}

func TestTxnValues(t *testing.T) {
	v0 := Empty()
	if v0.Len() != 0 || len(v0.Names()) != 0 {
		t.Fatal("Empty is not empty")
	}
	txn := v0.Begin()
	for i := 0; i < 200; i++ {
		insert(txn, []string{"b", "a", "c"}[i%3], i)
	}
	s, _ := index.ParseSpec(gjson.Parse(`"a"`))
	c, _ := txn.Collection("a").CreateIndex(txn.Edit(), s)
	txn.SetCollection("a", c)
	txn.SetSeq(7)
	v1 := txn.Commit()
	mustCheck(t, v1)
	if v1.Seq != 7 || !slices.Equal(v1.Names(), []string{"a", "b", "c"}) || v1.Collection("a").Len() != 67 {
		t.Fatalf("v1: seq %d, names %v, a has %d", v1.Seq, v1.Names(), v1.Collection("a").Len())
	}
	if render(v0) != "" {
		t.Fatal("committing changed the empty value")
	}
	want1 := render(v1)

	// A second transaction: changes, a savepoint, more changes, a rollback.
	txn = v1.Begin()
	for i := 200; i < 260; i++ {
		insert(txn, "a", i)
	}
	sp := txn.Savepoint()
	atSavepoint := render(txn.View())
	for i := 0; i < 100; i++ {
		c := txn.Collection("a").Delete(txn.Edit(), index.EncodeJSON(strconv.Itoa(i)), nil)
		txn.SetCollection("a", c)
	}
	insert(txn, "d", 1)
	if !txn.DropCollection("b") || txn.DropCollection("zz") {
		t.Fatal("DropCollection results are wrong")
	}
	mustCheck(t, txn.View())
	txn.Rollback(sp)
	if got := render(txn.View()); got != atSavepoint {
		t.Fatalf("rollback did not restore the savepoint:\n%s\nwant\n%s", got, atSavepoint)
	}
	insert(txn, "a", 1000) // the transaction goes on after a rollback
	v2 := txn.Commit()
	mustCheck(t, v2)
	if got := render(v1); got != want1 {
		t.Fatal("a later transaction changed v1")
	}
	if v2.Collection("a").Len() != 67+60+1 || v2.Seq != 7 {
		t.Fatalf("v2: a has %d records, seq %d", v2.Collection("a").Len(), v2.Seq)
	}

	// Clear, and collections that become empty disappear.
	txn = v2.Begin()
	c = txn.Collection("c")
	c.Scan(func(id, _ string) bool {
		c = c.Delete(txn.Edit(), id, nil)
		return true
	})
	txn.SetCollection("c", c)
	if slices.Contains(txn.View().Names(), "c") {
		t.Fatal("an empty collection is still stored")
	}
	if n := txn.Clear(); n != 2 {
		t.Fatalf("Clear removed %d collections, want 2", n)
	}
	v3 := txn.Commit()
	mustCheck(t, v3)
	if v3.Len() != 0 || v2.Len() != 3 {
		t.Fatalf("after clear: %d collections; v2 has %d", v3.Len(), v2.Len())
	}
	if v3.Collection("nope").Len() != 0 {
		t.Fatal("a missing collection is not empty")
	}
}

// TestCollectionNameOwned: the value keeps its own copy of a collection's
// name, never the caller's string. A parsed request hands the name as a
// substring of the whole request text, so a kept substring would keep a
// batch's request alive with every value and change-feed entry naming the
// collection (at 1,000,000 records loaded in batches of 1,000 the history
// held 111 MB of requests that way).
func TestCollectionNameOwned(t *testing.T) {
	v := Empty()
	for i := 0; i < 3; i++ {
		req := `["insert","people",` + strings.Repeat(" ", 1<<10) + `]`
		name := req[len(`["insert","`):len(`["insert","people`)]
		txn := v.Begin()
		c := txn.Collection(name).Insert(txn.Edit(), index.EncodeJSON(strconv.Itoa(i)), `{"id":`+strconv.Itoa(i)+`}`, nil)
		txn.SetCollection(name, c)
		v = txn.Commit()
		v.Each(func(n string, _ collection.Collection) bool {
			lo, hi := unsafe.StringData(req), unsafe.Add(unsafe.Pointer(unsafe.StringData(req)), len(req))
			p := unsafe.Pointer(unsafe.StringData(n))
			if uintptr(p) >= uintptr(unsafe.Pointer(lo)) && uintptr(p) < uintptr(hi) {
				t.Fatalf("write %d: the value's name %q points into the request", i, n)
			}
			return true
		})
	}
	if got := v.Collection("people").Len(); got != 3 {
		t.Fatalf("people has %d records, want 3", got)
	}
}
