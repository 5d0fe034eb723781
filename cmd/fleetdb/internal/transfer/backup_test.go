package transfer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/clitest"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
)

// canonicalDump returns a hash of the whole database, read in one
// snapshot: the collections, each one's index specs and its records in id
// order. Two databases with the same hash hold the same data and indexes.
func canonicalDump(t testing.TB, c *client.Client) [32]byte {
	t.Helper()
	ctx := context.Background()
	names, err := c.ListCollections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reads := []any{[]any{"list-collections"}}
	for _, n := range names {
		reads = append(reads, []any{"list-indexes", n}, []any{"select", n, map[string]any{"order": []any{"id", "asc"}}})
	}
	v, err := c.Query(ctx, []any{"multi-read", reads})
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(v)
}

// loadMixed fills a database with what a backup must carry: several
// collections, compound and nested indexes, numeric and string ids, nested
// values, a collection with an index and no record.
func loadMixed(t testing.TB, c *client.Client, n int) {
	t.Helper()
	clitest.LoadPeople(t, c)
	clitest.MustQuery(t, c, `["create-index","people","address.no"]`)
	clitest.MustQuery(t, c, `["create-index","empty",[["x","desc"],"y"]]`)
	ctx := context.Background()
	var batch []any
	for i := range n {
		id := any(i)
		if i%5 == 0 {
			id = fmt.Sprintf("k%07d", i)
		}
		batch = append(batch, map[string]any{"id": id, "n": i, "s": strings.Repeat("x", i%50), "sub": map[string]any{"a": []any{i, nil, true}}})
		if len(batch) == 1000 {
			if _, err := c.Insert(ctx, "many", batch...); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if _, err := c.Insert(ctx, "many", batch...); err != nil {
		t.Fatal(err)
	}
	clitest.MustQuery(t, c, `["create-index","many","n"]`)
}

// TestBackupRestore: backup, then restore into an empty server, gives an
// identical database; restore refuses a server that is not empty unless
// --force, and a truncated backup.
func TestBackupRestore(t *testing.T) {
	portA, a := clitest.Server(t, "")
	portB, b := clitest.Server(t, "")
	loadMixed(t, a, 5_000)
	want := canonicalDump(t, a)
	file := filepath.Join(t.TempDir(), "db.fdbk")

	code, out, errOut := runAdmin(t, adminRun{}, "backup", file, "--port", portA)
	var rep backupReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Collections != 4 || rep.Records != 5_006 {
		t.Fatalf("backup: exit %d: %s %s", code, out, errOut)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if !strings.HasPrefix(lines[0], `{"fleetdb-backup":1,`) || lines[1] != `["collection","empty",{"indexes":[[["x","desc"],"y"]],"records":0}]` ||
		lines[len(lines)-1] != `["end",{"collections":4,"records":5006}]` {
		t.Fatalf("backup file: %s\n%s\n...\n%s", lines[0], lines[1], lines[len(lines)-1])
	}

	code, out, errOut = runAdmin(t, adminRun{TTY: true}, "restore", file, "--port", portB)
	if code != 0 || !strings.Contains(out, "restored 4 collections with 5,006 records and 5 indexes") {
		t.Fatalf("restore: exit %d: %s %s", code, out, errOut)
	}
	if got := canonicalDump(t, b); got != want {
		t.Fatal("the restored database differs from the one backed up")
	}

	// Not empty: refused, and nothing changes.
	clitest.MustQuery(t, b, `["insert","people",{"id":99,"name":"extra"}]`)
	changed := canonicalDump(t, b)
	code, _, errOut = runAdmin(t, adminRun{}, "restore", file, "--port", portB)
	if code != cliutil.ExitFailure || !strings.Contains(errOut, "is not empty (4 collections: empty, many, people, tags)") || !strings.Contains(errOut, "--force") {
		t.Fatalf("restore into a non-empty server: exit %d: %s", code, errOut)
	}
	if canonicalDump(t, b) != changed {
		t.Fatal("a refused restore changed the database")
	}
	// --force replaces the backup's collections; others stay.
	clitest.MustQuery(t, b, `["insert","other",{"id":1}]`)
	code, _, errOut = runAdmin(t, adminRun{}, "restore", file, "--port", portB, "--force")
	if code != 0 {
		t.Fatalf("restore --force: exit %d: %s", code, errOut)
	}
	clitest.MustQuery(t, b, `["drop-collection","other"]`)
	if canonicalDump(t, b) != want {
		t.Fatal("restore --force did not give the backed-up database")
	}

	// Through a pipe: backup - | restore -.
	portC, cc := clitest.Server(t, "")
	code, out, _ = runAdmin(t, adminRun{}, "backup", "-", "--port", portA)
	if code != 0 {
		t.Fatalf("backup -: exit %d", code)
	}
	code, _, errOut = runAdmin(t, adminRun{Stdin: strings.NewReader(out)}, "restore", "-", "--port", portC)
	if code != 0 || canonicalDump(t, cc) != want {
		t.Fatalf("backup - | restore -: exit %d: %s", code, errOut)
	}

	// A truncated file is refused before anything is loaded.
	portD, d := clitest.Server(t, "")
	trunc := filepath.Join(t.TempDir(), "trunc.fdbk")
	os.WriteFile(trunc, data[:len(data)/2], 0o600)
	code, _, errOut = runAdmin(t, adminRun{}, "restore", trunc, "--port", portD)
	if code != cliutil.ExitFailure || !strings.Contains(errOut, "truncated") {
		t.Fatalf("restore of a truncated file: exit %d: %s", code, errOut)
	}
	if names, _ := d.ListCollections(context.Background()); len(names) != 0 {
		t.Fatalf("a truncated backup loaded %v", names)
	}
	// Not a backup at all.
	code, _, errOut = runAdmin(t, adminRun{Stdin: strings.NewReader(`{"id":1}` + "\n")}, "restore", "-", "--port", portD)
	if code != cliutil.ExitFailure || !strings.Contains(errOut, "not a FleetDB backup") {
		t.Fatalf("restore of a non-backup: exit %d: %s", code, errOut)
	}
	// A JSON-lines file of records (what export writes) is not called a
	// truncated backup; the message points at import.
	jl := filepath.Join(t.TempDir(), "people.jsonl")
	os.WriteFile(jl, []byte(`{"id":1}`+"\n"+`{"id":2}`+"\n"), 0o600)
	code, _, errOut = runAdmin(t, adminRun{}, "restore", jl, "--port", portD)
	if code != cliutil.ExitFailure || !strings.Contains(errOut, "not a FleetDB backup") || strings.Contains(errOut, "truncated") || !strings.Contains(errOut, "fleetdb import") {
		t.Fatalf("restore of a JSON-lines file: exit %d: %s", code, errOut)
	}
}

// TestBackupConsistent: while a writer adds records to two collections in
// one multi-write at a time, a backup holds the same ids in both: it is
// one snapshot.
func TestBackupConsistent(t *testing.T) {
	port, c := clitest.Server(t, "")
	ctx := context.Background()
	var recs []any
	for i := range 10_000 {
		recs = append(recs, map[string]any{"id": i, "pad": strings.Repeat("p", 40)})
	}
	for _, coll := range []string{"a", "b"} {
		if _, err := c.Insert(ctx, coll, recs...); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes int
	wg.Go(func() {
		for i := 10_000; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			q := fmt.Sprintf(`["multi-write",[["insert","a",{"id":%d}],["insert","b",{"id":%d}],["delete","a",{"where":["=","id",%d]}],["delete","b",{"where":["=","id",%d]}]]]`, i, i, i-10_000, i-10_000)
			if _, err := c.Query(ctx, json.RawMessage(q)); err != nil {
				t.Error(err)
				return
			}
			writes++
		}
	})
	var files [][]byte
	for i := range 3 {
		file := filepath.Join(t.TempDir(), fmt.Sprintf("b%d.fdbk", i))
		if code, _, errOut := runAdmin(t, adminRun{}, "backup", file, "--port", port); code != 0 {
			t.Fatalf("backup: exit %d: %s", code, errOut)
		}
		data, _ := os.ReadFile(file)
		files = append(files, data)
	}
	close(stop)
	wg.Wait()
	for _, data := range files {
		parts := bytes.Split(data, []byte(`["collection","b",`))
		if len(parts) != 2 {
			t.Fatal("no collection b in the backup")
		}
		idsA := recordIDs(t, parts[0])
		idsB := recordIDs(t, parts[1][bytes.IndexByte(parts[1], '\n'):]) // after the rest of the collection line
		if len(idsA) != 10_000 || !slices.Equal(idsA, idsB) {
			t.Fatalf("the backup is not one snapshot: %d ids in a, %d in b", len(idsA), len(idsB))
		}
	}
	t.Logf("%d multi-writes during 3 backups", writes)
}

// recordIDs returns the ids of the record lines of a piece of a backup.
func recordIDs(t testing.TB, part []byte) []string {
	var ids []string
	for _, l := range bytes.Split(part, []byte("\n")) {
		if len(l) == 0 || l[0] != '{' || bytes.HasPrefix(l, []byte(`{"fleetdb-backup"`)) {
			continue
		}
		var r struct{ ID json.RawMessage }
		if err := json.Unmarshal(l, &r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, string(r.ID))
	}
	return ids
}
