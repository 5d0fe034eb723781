package aof_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/fleetdb-go/fleetdb/aof"
)

var update = flag.Bool("update", false, "rewrite testdata/golden-v1.aof")

const goldenFile = "testdata/golden-v1.aof"

// goldenBatches are the batches of the golden file.
func goldenBatches() [][][]byte {
	return [][][]byte{
		{[]byte(`["insert","people",{"id":1,"name":"Ada"}]`)},
		{[]byte(`["insert","people",{"id":2}]`), {}, []byte("\x00\x01\x02\xff")},
		{bytes.Repeat([]byte("0123456789"), 30)},
		{[]byte(`["delete","people",{"where":["=","id",1]}]`)},
	}
}

// TestGolden freezes the on-disk format: writing the golden batches produces exactly the
// golden file, and the golden file replays to the golden batches. Run with -update after an
// intended format change (which also needs a new Version).
func TestGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.aof")
	l, _ := mustOpen(t, path, aof.Options{})
	for _, b := range goldenBatches() {
		if err := l.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	written, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(goldenFile, written, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
	}
	if !bytes.Equal(written, golden) {
		t.Fatalf("the log format changed: written %x\ngolden %x", written, golden)
	}

	// Open a copy of the golden file (Open may write; testdata stays untouched).
	cp := filepath.Join(t.TempDir(), "golden.aof")
	if err := os.WriteFile(cp, golden, 0o644); err != nil {
		t.Fatal(err)
	}
	l, got := mustOpen(t, cp, aof.Options{})
	checkRecords(t, got, flatten(goldenBatches()))
	if l.Size() != int64(len(golden)) {
		t.Fatalf("size %d, want %d", l.Size(), len(golden))
	}
	rep, err := aof.Check(goldenFile, nil)
	if err != nil || rep.Corruption != nil || rep.Batches != 4 || rep.Records != 6 || rep.TornBytes != 0 {
		t.Fatalf("Check(golden) = %+v, %v", rep, err)
	}
}
