package dbvalue

import (
	"errors"
	"fmt"
	"testing"

	"github.com/fleetdb-go/fleetdb/index"
	"github.com/tidwall/gjson"
)

func buildValue(t testing.TB, n int) *Value {
	t.Helper()
	txn := Empty().Begin()
	for _, name := range []string{"b", "a", "c"} {
		c := txn.Collection(name)
		for _, spec := range []string{`"x"`, `[["y","desc"],"x"]`} {
			s, err := index.ParseSpec(gjson.Parse(spec))
			if err != nil {
				t.Fatal(err)
			}
			c, _ = c.CreateIndex(txn.Edit(), s)
		}
		for i := 0; i < n; i++ {
			js := fmt.Sprintf(`{"id":%d,"x":%d,"y":"%s-%d","pad":"%0100d"}`, i, i%7, name, i%3, i)
			c = c.Insert(txn.Edit(), index.EncodeValue(gjson.Get(js, "id")), js, nil)
		}
		txn.SetCollection(name, c)
	}
	// An index-only collection is kept.
	s, _ := index.ParseSpec(gjson.Parse(`"z"`))
	c, _ := txn.Collection("empty").CreateIndex(txn.Edit(), s)
	txn.SetCollection("empty", c)
	txn.SetSeq(42)
	return txn.Commit()
}

func roundTrip(t testing.TB, v *Value) (*Value, int) {
	t.Helper()
	var l Loader
	recs := 0
	if err := v.WriteSnapshot(func(rec []byte) error {
		if l.Done() {
			t.Fatalf("loader done before record %d", recs+1)
		}
		if StartsSnapshot(rec) != (recs == 0) {
			t.Fatalf("StartsSnapshot of record %d = %v", recs+1, !(recs == 0))
		}
		recs++
		return l.Add(append([]byte(nil), rec...))
	}); err != nil {
		t.Fatal(err)
	}
	if !l.Done() {
		t.Fatal("loader not done after the last record")
	}
	got, err := l.Value()
	if err != nil {
		t.Fatal(err)
	}
	return got, recs
}

func TestSnapshotRoundTrip(t *testing.T) {
	v := buildValue(t, 5000)
	got, recs := roundTrip(t, v)
	if recs < 10 {
		t.Fatalf("only %d snapshot records: chunks too big", recs)
	}
	if got.Seq != 42 || got.Hash() != v.Hash() {
		t.Fatalf("round trip changed the value (seq %d)", got.Seq)
	}
	if err := got.Check(); err != nil {
		t.Fatal(err)
	}
	if names := got.Names(); fmt.Sprint(names) != "[a b c empty]" {
		t.Fatalf("names = %v", names)
	}
	// The restored value accepts writes like any other.
	txn := got.Begin()
	c := txn.Collection("a")
	js := `{"id":-1,"x":1,"y":"q"}`
	c = c.Insert(txn.Edit(), index.EncodeValue(gjson.Get(js, "id")), js, nil)
	txn.SetCollection("a", c)
	if err := txn.Commit().Check(); err != nil {
		t.Fatal(err)
	}
	e, _ := roundTrip(t, Empty())
	if e.Len() != 0 {
		t.Fatal("empty value did not round trip")
	}
}

func TestSnapshotCorruption(t *testing.T) {
	v := buildValue(t, 50)
	var recs [][]byte
	v.WriteSnapshot(func(rec []byte) error {
		recs = append(recs, append([]byte(nil), rec...))
		return nil
	})
	load := func(recs [][]byte) error {
		var l Loader
		for _, r := range recs {
			if err := l.Add(r); err != nil {
				return err
			}
		}
		_, err := l.Value()
		return err
	}
	cases := map[string][][]byte{
		"no header":    recs[1:],
		"no end":       recs[:len(recs)-1],
		"empty":        {recs[0], {}},
		"unknown":      {recs[0], []byte("Zzz")},
		"truncated":    append(append([][]byte{}, recs[:2]...), recs[2][:len(recs[2])/2]),
		"after end":    append(append([][]byte{}, recs...), recs[1]),
		"bad count":    append(append([][]byte{}, recs[:len(recs)-1]...), []byte{'E', 1}),
		"records only": {recs[0], recs[2]},
	}
	for name, rs := range cases {
		if err := load(rs); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: got %v, want ErrCorrupt", name, err)
		}
	}
}

func TestHashIgnoresHistory(t *testing.T) {
	a := buildValue(t, 100)
	// The same contents reached another way: delete and re-add a record.
	txn := a.Begin()
	c := txn.Collection("b")
	js, _ := c.Get(index.EncodeValue(gjson.Parse("7")))
	c = c.Delete(txn.Edit(), index.EncodeValue(gjson.Parse("7")), nil)
	txn.SetCollection("b", c)
	mid := txn.Commit()
	if mid.Hash() == a.Hash() {
		t.Fatal("hash did not change after a delete")
	}
	txn = mid.Begin()
	c = txn.Collection("b").Insert(txn.Edit(), index.EncodeValue(gjson.Parse("7")), js, nil)
	txn.SetCollection("b", c)
	if txn.Commit().Hash() != a.Hash() {
		t.Fatal("same contents, different hash")
	}
}
