package transfer

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/clitest"
)

// TestRestoreTruncatedStdinCount: a backup cut in the middle of a record
// line, read from stdin, stops at that line; the count it reports is what
// the server holds, every record before the line (it reported the records
// acknowledged when it stopped, fewer than those written after).
func TestRestoreTruncatedStdinCount(t *testing.T) {
	portA, a := clitest.Server(t, "")
	loadMixed(t, a, 30_000)
	file := filepath.Join(t.TempDir(), "db.fdbk")
	if code, out, errOut := runAdmin(t, adminRun{}, "backup", file, "--port", portA); code != 0 {
		t.Fatalf("backup: %s %s", out, errOut)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cut := len(data) * 4 / 5
	for data[cut-1] == '\n' || data[cut] == '\n' {
		cut++
	}
	before := strings.Count(string(data[:cut]), "\n") // lines before the cut one
	records := 0
	for _, l := range strings.Split(string(data[:cut]), "\n")[:before] {
		if strings.HasPrefix(l, "{\"") && !strings.HasPrefix(l, `{"fleetdb-backup"`) {
			records++
		}
	}
	portB, b := clitest.Server(t, "")
	code, _, errOut := runAdmin(t, adminRun{Stdin: strings.NewReader(string(data[:cut]))}, "restore", "-", "--port", portB, "--batch", "500", "--window", "16")
	if code == 0 {
		t.Fatal("restore of a truncated stream succeeded")
	}
	m := regexp.MustCompile(`stopped there: ([\d,]+) records? from the lines before it written`).FindStringSubmatch(errOut)
	if m == nil {
		t.Fatalf("message: %s", errOut)
	}
	said, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	held := 0
	names, _ := b.ListCollections(context.Background())
	for _, n := range names {
		held += count(t, b, n)
	}
	if said != held || held != records {
		t.Fatalf("restore said %d records written; the server holds %d; %d came before the cut line\n%s", said, held, records, errOut)
	}
}
