package collection

import (
	"fmt"
	"strconv"
	"testing"
	"unsafe"

	"github.com/fleetdb-go/fleetdb/index"
	"github.com/fleetdb-go/fleetdb/internal/btree"
)

// TestWritesCopyRecords checks that no write keeps the caller's strings:
// every record and id is copied into its block, so a caller may pass views
// of a buffer it reuses (query's parser hands records that alias the
// request's bytes). The buffer is overwritten after each write and every
// record must read back as it was written.
func TestWritesCopyRecords(t *testing.T) {
	specs := []index.Spec{spec(t, `"a"`)}
	buf := make([]byte, 0, 1<<16)
	view := func(s string) string {
		start := len(buf)
		buf = append(buf, s...)
		b := buf[start:]
		return unsafe.String(unsafe.SliceData(b), len(b))
	}
	scrub := func() {
		for i := range buf {
			buf[i] = 'X'
		}
		buf = buf[:0]
	}
	rec := func(i, a int) string { return fmt.Sprintf(`{"id":%d,"a":%d}`, i, a) }
	id := func(i int) string { return index.EncodeJSON(strconv.Itoa(i)) }

	var c Collection
	c, _ = c.CreateIndex(nil, specs[0])
	e := btree.NewEdit()
	want := map[int]string{}
	for i := range 10 { // Insert
		c = c.Insert(e, view(id(i)), view(rec(i, i)), nil)
		want[i] = rec(i, i)
		scrub()
	}
	for i := range 5 { // Put over existing records and new ones
		c = c.Put(e, view(id(i*3)), view(rec(i*3, 100+i)), nil)
		want[i*3] = rec(i*3, 100+i)
		scrub()
	}
	batch := make([]Record, 40)
	for j := range 40 { // InsertMany, above the size it sorts at
		batch[j] = Record{ID: view(id(100 + j)), JSON: view(rec(100+j, j%3))}
		want[100+j] = rec(100+j, j%3)
	}
	c = c.InsertMany(e, batch, nil, nil)
	scrub()
	b := NewBuilder(specs) // the snapshot loader's path
	for i := range 10 {
		if err := b.Add(view(id(1000+i)), view(rec(1000+i, i))); err != nil {
			t.Fatal(err)
		}
		scrub()
	}
	built := b.Collection()

	check(t, c, "after writes from a reused buffer")
	for i, r := range want {
		if got, ok := c.Get(id(i)); !ok || got != r {
			t.Fatalf("record %d reads %q (%v), want %q", i, got, ok, r)
		}
	}
	check(t, built, "built from a reused buffer")
	for i := range 10 {
		if got, _ := built.Get(id(1000 + i)); got != rec(1000+i, i) {
			t.Fatalf("built record %d reads %q", 1000+i, got)
		}
	}
}
