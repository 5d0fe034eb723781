package fleetdb

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/fleetdb-go/fleetdb"

// allowedImports is DESIGN.md's table of who imports whom (project packages
// only). internal/... packages are helpers any package may use, except where
// a rule below says otherwise.
var allowedImports = map[string][]string{
	"index":             {"internal/btree", "internal/jsontext"},
	"collection":        {"index", "internal/btree"},
	"dbvalue":           {"collection", "index", "internal/btree"},
	"query":             {"dbvalue", "collection", "index", "internal/btree", "internal/jsontext"},
	"aof":               {},
	"writequeue":        {},
	"protocol":          {"internal/jsontext"},
	"internal/btree":    {},
	"internal/gctest":   {},                                                                         // tests: collect, then write over what was freed
	"internal/testcert": {},                                                                         // throwaway CAs for TLS tests
	"replication":       {"query", "dbvalue", "collection", "index", "aof", "client", "internal/*"}, // client: Config.Join asks a member's server
	".":                 {"query", "dbvalue", "collection", "index", "writequeue", "aof", "replication", "internal/*"},
	"server":            {"protocol", "query", "internal/jsontext"},
	"client":            {"protocol", "internal/jsontext", "internal/records"},
	"cmd/fleetdb":       {".", "server", "query"}, // main, the root command and serve; the rest under internal/
	"examples/*":        {".", "client"},

	// The one scanner of JSON text (white space, strings, compacting,
	// validation, streaming values) the packages above share.
	"internal/jsontext": {},

	// How Insert and Put take Go records, shared by the root package and
	// client so both accept the same arguments.
	"internal/records": {"internal/jsontext"},

	// The command packages talk to a server through client only (see
	// protocolSpeakers); cliutil is what they share.
	"cmd/fleetdb/internal/cliutil":  {"client"},
	"cmd/fleetdb/internal/admin":    {"cmd/fleetdb/internal/cliutil", "client", "query", "aof", ".", "internal/jsontext"}, // aof, .: check reads, repairs and replays a log offline
	"cmd/fleetdb/internal/shell":    {"cmd/fleetdb/internal/cliutil", "cmd/fleetdb/internal/admin", "client", "query", "internal/jsontext"},
	"cmd/fleetdb/internal/transfer": {"cmd/fleetdb/internal/cliutil", "client", "query", "internal/jsontext"},
	"cmd/fleetdb/internal/bench":    {"cmd/fleetdb/internal/cliutil", "client", "internal/jsontext"},
	"cmd/fleetdb/internal/clitest":  {"cmd/fleetdb/internal/cliutil", "client", ".", "server"}, // tests' support: a real server
	"cmd/fleetdb/internal/*":        {"cmd/fleetdb/internal/cliutil", "client", "query", "aof", "internal/jsontext"},
}

// protocolSpeakers are the only packages that import protocol: the wire
// format is spoken by the server and by the one client; everything else
// that talks to a server (the CLI, bench, the replication join) does it
// through client.
var protocolSpeakers = map[string]bool{"client": true, "server": true}

// pureForbidden are standard packages the pure layer must not use: no I/O,
// no goroutines or locks, no clock, no randomness.
var pureForbidden = []string{"os", "net", "io/ioutil", "time", "sync", "math/rand", "math/rand/v2", "crypto/rand", "log", "log/slog"}

var purePackages = map[string]bool{"index": true, "collection": true, "dbvalue": true, "query": true, "internal/btree": true, "internal/jsontext": true}

// TestImportDirections enforces DESIGN.md's package dependencies on the
// non-test files of every package in the module.
func TestImportDirections(t *testing.T) {
	pkgs := map[string]map[string]bool{} // package dir → imports
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		if pkgs[dir] == nil {
			pkgs[dir] = map[string]bool{}
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			pkgs[dir][p] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir, imports := range pkgs {
		rule, ok := ruleFor(dir)
		if !ok {
			t.Errorf("package %s is not in DESIGN.md's table (add it to allowedImports)", dir)
			continue
		}
		for imp := range imports {
			if strings.HasPrefix(imp, "github.com/hashicorp/raft") && dir != "replication" && !strings.HasPrefix(dir, "replication/") {
				t.Errorf("%s imports %s: only replication may import hashicorp/raft", dir, imp)
			}
			if purePackages[dir] {
				for _, bad := range pureForbidden {
					if imp == bad {
						t.Errorf("%s is in the pure layer and imports %s", dir, imp)
					}
				}
			}
			if imp != module && !strings.HasPrefix(imp, module+"/") {
				continue
			}
			target := "."
			if imp != module {
				target = strings.TrimPrefix(imp, module+"/")
			}
			if target == dir || strings.HasPrefix(target, dir+"/") {
				continue // own subpackages
			}
			if target == "protocol" && !protocolSpeakers[dir] {
				t.Errorf("%s imports protocol: only client and server speak the protocol (use client)", dir)
			}
			if !allowed(rule, target) {
				t.Errorf("%s imports %s, which DESIGN.md does not allow", dir, target)
			}
		}
	}
}

func ruleFor(dir string) ([]string, bool) {
	if r, ok := allowedImports[dir]; ok {
		return r, true
	}
	for pat, r := range allowedImports {
		if strings.HasSuffix(pat, "/*") && strings.HasPrefix(dir, strings.TrimSuffix(pat, "*")) {
			return r, true
		}
	}
	// Subpackages of a listed package (aof/aoftest) follow their parent.
	for pat, r := range allowedImports {
		if pat != "." && strings.HasPrefix(dir, pat+"/") {
			return append([]string{pat}, r...), true
		}
	}
	return nil, false
}

func allowed(rule []string, target string) bool {
	for _, a := range rule {
		switch {
		case a == "*", a == target:
			return true
		case strings.HasSuffix(a, "/*") && strings.HasPrefix(target, strings.TrimSuffix(a, "*")):
			return true
		}
	}
	return false
}
