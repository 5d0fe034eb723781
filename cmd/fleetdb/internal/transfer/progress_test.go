package transfer

import (
	"strings"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/clitest"
)

// TestProgressLine: records and bytes done with true rates; no rate before
// a quarter of a second (the first update used to claim 4,189,303,151
// it/s); nothing at all when stderr is not a terminal.
func TestProgressLine(t *testing.T) {
	clock := time.Unix(1000, 0)
	tty := &clitest.TTYBuffer{TTY: true}
	p := newProgress(tty, 3_900_000, "importing users", "bytes")
	p.now = func() time.Time { return clock }
	p.start = clock

	clock = clock.Add(time.Millisecond)
	p.records(1024)
	p.set(76_000)
	first := tty.String()
	if !strings.Contains(first, "importing users: 1,024 records, 76.0 kB of 3.9 MB (1%)") || strings.Contains(first, "/s") {
		t.Errorf("first update: %q", first)
	}
	clock = clock.Add(2 * time.Second)
	p.records(40_000)
	p.set(3_000_000)
	if s := tty.String(); !strings.Contains(s, "40,000 records, 3.0 MB of 3.9 MB (76%), 19,990 records/s, 1.5 MB/s") {
		t.Errorf("after 2 s: %q", s)
	}
	p.done()

	tty = &clitest.TTYBuffer{TTY: true}
	e := newProgress(tty, 50_000, "exporting users", "records")
	e.now = func() time.Time { return clock }
	e.start = clock
	clock = clock.Add(500 * time.Millisecond)
	e.set(10_000)
	if s := tty.String(); !strings.Contains(s, "exporting users: 10,000 of 50,000 records (20%), 20,000 records/s") {
		t.Errorf("export: %q", s)
	}

	var plain clitest.SyncBuffer
	q := newProgress(&plain, 10, "x", "records")
	q.set(5)
	q.done()
	if plain.String() != "" {
		t.Errorf("not a terminal, yet: %q", plain.String())
	}
	if got := rate(5, 100*time.Microsecond, "records"); strings.Contains(got, "/s") {
		t.Errorf("rate of 5 records in 0.1 ms: %q", got)
	}
	if got := rate(1000, 2*time.Second, "records"); got != "2s, 500 records/s" {
		t.Errorf("rate: %q", got)
	}
}
