package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/aof"
)

// writeLog makes a log of n batches of two records each with the aof
// package, and returns its path and size.
func writeLog(t *testing.T, n int) (string, int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.fdb")
	l, err := aof.Open(path, aof.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		rec := func(j int) []byte { return fmt.Appendf(nil, `Q["insert","t",{"id":%d}]`, 2*i+j) }
		if err := l.Append([][]byte{rec(0), rec(1)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, info.Size()
}

func TestCheck(t *testing.T) {
	ctx := context.Background()

	t.Run("good", func(t *testing.T) {
		path, size := writeLog(t, 5)
		code, out, stderr := runCmd(t, ctx, "check", path)
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, out, stderr)
		}
		for _, want := range []string{"records            10", "batches            5", fmt.Sprintf("size               %d", size), "torn bytes         0", "corruption         none", "status             ok"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("torn", func(t *testing.T) {
		path, size := writeLog(t, 5)
		if err := os.Truncate(path, size-3); err != nil { // inside the last frame
			t.Fatal(err)
		}
		code, out, stderr := runCmd(t, ctx, "check", "--json", path)
		if code != 0 {
			t.Fatalf("a torn tail is not corruption: exit %d\n%s%s", code, out, stderr)
		}
		var rep CheckReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if !rep.OK || rep.Records != 8 || rep.Batches != 4 || rep.TornBytes == 0 ||
			rep.LastValidOffset+rep.TornBytes != size-3 || rep.Corruption != nil {
			t.Fatalf("report %+v", rep)
		}
	})

	t.Run("zeros ahead", func(t *testing.T) {
		// A preallocating log copied while open: what a crash leaves.
		path := filepath.Join(t.TempDir(), "open.fdb")
		l, err := aof.Open(path, aof.Options{Sync: aof.SyncAlways, Preallocate: 64 << 10}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		if err := l.Append([][]byte{[]byte(`Q["insert","t",{"id":1}]`)}); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		crashed := filepath.Join(t.TempDir(), "crashed.fdb")
		if err := os.WriteFile(crashed, data, 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, stderr := runCmd(t, ctx, "check", crashed)
		if code != 0 || !strings.Contains(out, "status             ok, with a torn tail of") || !strings.Contains(out, aof.ReasonWrittenAhead) {
			t.Fatalf("exit %d\n%s%s", code, out, stderr)
		}
		code, out, stderr = runCmd(t, ctx, "check", "--json", crashed)
		var rep CheckReport
		if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || !rep.OK || rep.Records != 1 || rep.TornReason != aof.ReasonWrittenAhead {
			t.Fatalf("exit %d, %v, report %+v\n%s", code, err, rep, stderr)
		}
	})

	t.Run("corrupt", func(t *testing.T) {
		path, _ := writeLog(t, 5)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b[16+12+3] ^= 0x40 // a payload byte of the first record
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, stderr := runCmd(t, ctx, "check", "--json", path)
		if code != 1 || !strings.Contains(stderr, "corrupt") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		var rep CheckReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.OK || rep.Corruption == nil || !strings.Contains(*rep.Corruption, "offset 16") || rep.Records != 0 {
			t.Fatalf("report %+v", rep)
		}
		code, out, _ = runCmd(t, ctx, "check", path)
		if code != 1 || !strings.Contains(out, "CORRUPT") {
			t.Fatalf("table: exit %d\n%s", code, out)
		}
	})

	t.Run("missing", func(t *testing.T) {
		code, _, stderr := runCmd(t, ctx, "check", filepath.Join(t.TempDir(), "nope.fdb"))
		if code != 1 || !strings.Contains(stderr, "no such file") {
			t.Fatalf("exit %d, %q", code, stderr)
		}
	})
}
