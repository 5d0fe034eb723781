package query

// Golden scripts: query/testdata/*.txt hold requests and their expected
// responses, the query language of SPEC §4–§5 in executable form. Each file
// runs against a fresh database. A case is
//
//	<request, one line>
//	----
//	ok <json result> | error <message>
//
// separated by blank lines; lines starting with # are comments. Run
// `go test ./query -run TestGolden -update` to rewrite the expected parts,
// then review the diff against SPEC before committing it.

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/dbvalue"
)

var update = flag.Bool("update", false, "rewrite the expected results of query/testdata/*.txt")

const goldenSep = "----"

// goldenChunk is a comment block (text) or a case (req, want).
type goldenChunk struct {
	text      string
	req, want string
	isCase    bool
}

func parseGolden(tb testing.TB, path string) []goldenChunk {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	var chunks []goldenChunk
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "" || strings.HasPrefix(l, "#") {
			chunks = append(chunks, goldenChunk{text: l})
			continue
		}
		if i+1 >= len(lines) || lines[i+1] != goldenSep {
			tb.Fatalf("%s:%d: request not followed by %q", path, i+1, goldenSep)
		}
		c := goldenChunk{req: l, isCase: true}
		if i+2 < len(lines) && lines[i+2] != "" {
			c.want = lines[i+2]
			i++
		}
		i++
		chunks = append(chunks, c)
	}
	return chunks
}

// goldenDB is the state a golden file runs against.
type goldenDB struct {
	tb  testing.TB
	v   *dbvalue.Value
	env *Env
}

func newGoldenDB(tb testing.TB) *goldenDB {
	return &goldenDB{tb: tb, v: dbvalue.Empty(), env: goldenEnv()}
}

// goldenEnv registers user commands for the call cases.
func goldenEnv() *Env {
	cmds := map[string]CommandFunc{
		// bump: ["call","bump",coll,id] adds 1 to the record's n.
		"bump": func(tx *Tx, args []string) ([]byte, error) {
			if len(args) != 2 {
				return nil, errors.New("bump takes a collection and an id")
			}
			out, err := tx.Run(`["select",` + args[0] + `,{"where":["=","id",` + args[1] + `],"only":"n"}]`)
			if err != nil {
				return nil, err
			}
			n := 0
			fmt.Sscanf(strings.Trim(string(out), "[]"), "%d", &n)
			if _, err := tx.Run(fmt.Sprintf(`["update",%s,{"n":%d},{"where":["=","id",%s]}]`, args[0], n+1, args[1])); err != nil {
				return nil, err
			}
			return []byte(fmt.Sprint(n + 1)), nil
		},
		// half-then-fail writes, then fails: nothing may stay.
		"half-then-fail": func(tx *Tx, args []string) ([]byte, error) {
			if _, err := tx.Run(`["insert","c",{"id":"half"}]`); err != nil {
				return nil, err
			}
			return nil, errors.New("something went wrong")
		},
		"panics": func(tx *Tx, args []string) ([]byte, error) {
			if _, err := tx.Run(`["insert","c",{"id":"panic"}]`); err != nil {
				return nil, err
			}
			panic("boom")
		},
		// dup-insert fails with a query error from inside the command.
		"dup-insert": func(tx *Tx, args []string) ([]byte, error) {
			return tx.Run(`["insert","c",[{"id":1},{"id":1}]]`)
		},
		"bad-json": func(*Tx, []string) ([]byte, error) { return []byte("{"), nil },
		"nothing":  func(*Tx, []string) ([]byte, error) { return nil, nil },
		"echo": func(_ *Tx, args []string) ([]byte, error) {
			return []byte("[" + strings.Join(args, ",") + "]"), nil
		},
	}
	return &Env{Command: func(name string) (CommandFunc, bool) {
		fn, ok := cmds[name]
		return fn, ok
	}}
}

// run answers one request line the way the database does: parse, then
// Execute a read on the value or Apply a write to a transaction that is
// committed only on success.
func (g *goldenDB) run(req string) string {
	g.tb.Helper()
	q, err := ParseString(req)
	if err != nil {
		return "error " + err.Error()
	}
	var out []byte
	if q.IsWrite() {
		before := dumpValue(g.v, true)
		txn := g.v.Begin()
		out, err = Apply(nil, txn, q, g.env)
		if err == nil {
			g.v = txn.Commit()
		}
		if cerr := g.v.Check(); cerr != nil {
			g.tb.Fatalf("%s: %v", req, cerr)
		}
		if err != nil && dumpValue(g.v, true) != before {
			g.tb.Fatalf("%s: a refused write changed the database", req)
		}
	} else {
		out, err = Execute(nil, g.v, q, g.env)
	}
	if err != nil {
		if !errors.Is(err, ErrRefused) {
			return "error (not refused) " + err.Error()
		}
		return "error " + err.Error()
	}
	return "ok " + string(out)
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files in testdata")
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			chunks := parseGolden(t, path)
			db := newGoldenDB(t)
			var out bytes.Buffer
			for i, c := range chunks {
				if !c.isCase {
					out.WriteString(c.text + "\n")
					continue
				}
				got := db.run(c.req)
				fmt.Fprintf(&out, "%s\n%s\n%s\n", c.req, goldenSep, got)
				if !*update && got != c.want {
					t.Errorf("%s: case %d\n  %s\nwant\n  %s\ngot\n  %s", path, i, c.req, c.want, got)
				}
			}
			if *update {
				if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// goldenRequests returns every request of the golden files (fuzz seeds).
func goldenRequests(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	var reqs []string
	for _, path := range files {
		for _, c := range parseGolden(tb, path) {
			if c.isCase {
				reqs = append(reqs, c.req)
			}
		}
	}
	return reqs
}
