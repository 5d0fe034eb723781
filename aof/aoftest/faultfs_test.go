package aoftest_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"syscall"
	"testing"

	"github.com/fleetdb-go/fleetdb/aof/aoftest"
)

func write(t *testing.T, f io.Writer, s string) {
	t.Helper()
	if _, err := f.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

func content(t *testing.T, fsys *aoftest.FaultFS, name string) string {
	t.Helper()
	b, err := fsys.ReadFile(name)
	if err != nil {
		return "<missing>"
	}
	return string(b)
}

func TestPowerCutDropsUnsynced(t *testing.T) {
	fsys := aoftest.New()
	f, err := fsys.OpenFile("/d/a", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	write(t, f, "hello ")
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	write(t, f, "world")
	fsys.PowerCut()
	if got := content(t, fsys, "/d/a"); got != "<missing>" {
		t.Fatalf("a file whose directory was never synced survived: %q", got)
	}

	f, _ = fsys.OpenFile("/d/a", os.O_RDWR|os.O_CREATE, 0o644)
	write(t, f, "hello ")
	f.Sync()
	fsys.SyncDir("/d")
	write(t, f, "world")
	if err := f.Truncate(3); err != nil {
		t.Fatal(err)
	}
	write(t, f, "!")
	fsys.PowerCut()
	if got := content(t, fsys, "/d/a"); got != "hello " {
		t.Fatalf("after power cut: %q, want the synced contents", got)
	}
	if _, err := f.Write([]byte("x")); !errors.Is(err, aoftest.ErrPowerCut) {
		t.Fatalf("old handle after power cut: %v", err)
	}
}

func TestPowerCutUndoesRename(t *testing.T) {
	fsys := aoftest.New()
	fsys.WriteFile("/d/log", []byte("old"))
	f, _ := fsys.OpenFile("/d/tmp", os.O_RDWR|os.O_CREATE, 0o644)
	write(t, f, "new")
	f.Sync()
	if err := fsys.Rename("/d/tmp", "/d/log"); err != nil {
		t.Fatal(err)
	}
	if got := content(t, fsys, "/d/log"); got != "new" {
		t.Fatalf("after rename: %q", got)
	}
	fsys.PowerCut()
	if got := content(t, fsys, "/d/log"); got != "old" {
		t.Fatalf("rename without directory sync survived a power cut: %q", got)
	}
	f, _ = fsys.OpenFile("/d/tmp", os.O_RDWR|os.O_CREATE, 0o644)
	write(t, f, "new")
	f.Sync()
	fsys.Rename("/d/tmp", "/d/log")
	fsys.SyncDir("/d")
	fsys.PowerCut()
	if got := content(t, fsys, "/d/log"); got != "new" || fsys.Exists("/d/tmp") {
		t.Fatalf("synced rename lost: %q", got)
	}
}

func TestFaults(t *testing.T) {
	fsys := aoftest.New()
	f, _ := fsys.OpenFile("/d/a", os.O_RDWR|os.O_CREATE, 0o644)
	fsys.Inject(aoftest.Fault{Op: aoftest.OpWrite, Path: "/d/a", Skip: 1, Err: syscall.ENOSPC, Short: 2})
	write(t, f, "abc")
	n, err := f.Write([]byte("defg"))
	if n != 2 || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("second write = %d, %v", n, err)
	}
	write(t, f, "h") // the fault fired once
	if got := content(t, fsys, "/d/a"); got != "abcdeh" {
		t.Fatalf("contents %q", got)
	}
	fsys.Inject(aoftest.Fault{Op: aoftest.OpSync, Sticky: true})
	for range 3 {
		if err := f.Sync(); !errors.Is(err, syscall.EIO) {
			t.Fatalf("sticky sync fault: %v", err)
		}
	}
	if fsys.Count(aoftest.OpWrite) != 3 || fsys.Count(aoftest.OpSync) != 3 {
		t.Fatalf("counts %d writes, %d syncs", fsys.Count(aoftest.OpWrite), fsys.Count(aoftest.OpSync))
	}
	fsys.ClearFaults()
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if _, err := fsys.OpenFile("/d/missing", os.O_RDONLY, 0); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("open missing: %v", err)
	}
	if _, err := fsys.Stat("/d/missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stat missing: %v", err)
	}
}

// TestPowerCutTorn: what survives of unsynced appends is a prefix of them, possibly zeroed
// from its start or from a sector boundary.
func TestPowerCutTorn(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	synced := bytes.Repeat([]byte("s"), 700)
	pending := bytes.Repeat([]byte("p"), 2000)
	for range 500 {
		fsys := aoftest.New()
		fsys.WriteFile("/d/a", synced)
		f, _ := fsys.OpenFile("/d/a", os.O_RDWR, 0)
		f.Seek(0, io.SeekEnd)
		f.Write(pending)
		fsys.PowerCutTorn(rng)
		got, _ := fsys.ReadFile("/d/a")
		if !bytes.HasPrefix(got, synced) || len(got) > len(synced)+len(pending) {
			t.Fatalf("torn file of %d bytes", len(got))
		}
		tail := got[len(synced):]
		z := bytes.IndexByte(tail, 0)
		if z < 0 {
			z = len(tail)
		}
		if !bytes.Equal(tail[:z], pending[:z]) || bytes.Count(tail[z:], []byte{0}) != len(tail)-z {
			t.Fatalf("torn tail is not a prefix followed by zeros")
		}
		if z != len(tail) && z != 0 && (len(synced)+z)%512 != 0 {
			t.Fatalf("zeros start at %d, not at the old end or a sector boundary", len(synced)+z)
		}
	}
}
