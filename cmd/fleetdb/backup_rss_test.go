package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/client"
)

// procMemKiB reads VmRSS and VmHWM (peak) of a process, in KiB.
func procMemKiB(t *testing.T, pid int) (rss, hwm int64) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = n
		case "VmHWM:":
			hwm = n
		}
	}
	return rss, hwm
}

// TestBackupServerMemory measures how much `fleetdb backup` raises the
// peak RSS of the server it reads, on FLEETDB_BACKUP_RSS_RECORDS records
// (set it to run the test, e.g. 1000000; it takes a few minutes). The
// backup reads a pinned snapshot in pages, so the growth is about a page
// (8 MiB of JSON) and its buffers, not the size of the data.
func TestBackupServerMemory(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("FLEETDB_BACKUP_RSS_RECORDS"))
	if n <= 0 {
		t.Skip("set FLEETDB_BACKUP_RSS_RECORDS=1000000 to measure")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	addr := freeAddrOn(t, "127.0.0.1")
	port := addr[len("127.0.0.1:"):]
	p := startServeProc(t, "server", "-e", "-p", port)
	p.waitReady(t, 30*time.Second)
	cl, err := client.Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	const batch = 5000
	for i := 0; i < n; i += batch {
		var b strings.Builder
		b.WriteString(`["insert","people",[`)
		for j := i; j < min(i+batch, n); j++ {
			if j > i {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":%d,"name":"user-%d","email":"u%d@example.com","age":%d,"city":"city-%d"}`, j, j, j, j%90, j%1000)
		}
		b.WriteString("]]")
		if _, err := cl.Query(ctx, json.RawMessage(b.String())); err != nil {
			t.Fatal(err)
		}
	}
	pid := p.cmd.Process.Pid
	// Reset the peak to the current RSS (Linux: clear_refs 5), so that the
	// peak after is the backup's, not the load's.
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
	rss0, hwm0 := procMemKiB(t, pid)
	file := filepath.Join(t.TempDir(), "b.fdbk")
	start := time.Now()
	code, out, stderr := runCmd(t, ctx, "backup", file, "--port", port, "--json")
	if code != 0 {
		t.Fatalf("backup: exit %d: %s %s", code, out, stderr)
	}
	el := time.Since(start)
	rss1, hwm1 := procMemKiB(t, pid)
	st, _ := os.Stat(file)
	growth := max(hwm1-hwm0, 0)
	t.Logf("%d records, backup %d MiB in %v; server RSS %d -> %d MiB, peak %d -> %d MiB: the backup raised the peak by %d MiB",
		n, st.Size()>>20, el.Round(time.Millisecond), rss0>>10, rss1>>10, hwm0>>10, hwm1>>10, growth>>10)
	if growth > 64<<10 {
		t.Errorf("the backup raised the server's peak RSS by %d MiB (target: at most 64)", growth>>10)
	}
}
