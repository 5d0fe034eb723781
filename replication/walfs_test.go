package replication

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/raft"
	wal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
	"github.com/hashicorp/raft-wal/segment"
)

// openZeroedWAL opens a raft-wal log in dir on a zeroedVFS with small
// segments (so that a few hundred entries rotate several times).
func openZeroedWAL(t *testing.T, dir string) (*wal.WAL, *zeroedVFS, func()) {
	t.Helper()
	v, err := newZeroedVFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	meta := &metadb.BoltMetaDB{}
	w, err := wal.Open(dir, wal.WithSegmentFiler(segment.NewFiler(dir, v)), wal.WithMetaStore(meta),
		wal.WithSegmentSize(64<<10))
	if err != nil {
		t.Fatal(err)
	}
	return w, v, func() {
		if err := w.Close(); err != nil {
			t.Error(err)
		}
		meta.Close()
		v.Close()
	}
}

func segmentFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".wal") {
			out = append(out, e.Name())
		}
	}
	return out
}

// Entries written across several segment rotations (each new segment a
// prepared spare, or zeroed in place) all read back, before and after the
// log is closed and opened again; appends go on after the reopen.
func TestZeroedVFSLogSurvivesRotationAndReopen(t *testing.T) {
	dir := t.TempDir()
	w, _, closeLog := openZeroedWAL(t, dir)
	data := func(i uint64) []byte { return bytes.Repeat([]byte(fmt.Sprintf("entry %d;", i)), 40) }
	store := func(w *wal.WAL, from, to uint64) {
		for i := from; i <= to; i++ {
			if err := w.StoreLogs([]*raft.Log{{Index: i, Term: 1, Type: raft.LogCommand, Data: data(i)}}); err != nil {
				t.Fatalf("store %d: %v", i, err)
			}
		}
	}
	check := func(w *wal.WAL, to uint64) {
		for i := uint64(1); i <= to; i++ {
			var l raft.Log
			if err := w.GetLog(i, &l); err != nil {
				t.Fatalf("get %d: %v", i, err)
			}
			if l.Index != i || !bytes.Equal(l.Data, data(i)) {
				t.Fatalf("entry %d reads back as index %d, %d bytes", i, l.Index, len(l.Data))
			}
		}
	}
	store(w, 1, 400) // ~160 kB: three rotations at least
	if n := len(segmentFiles(t, dir)); n < 3 {
		t.Fatalf("%d segment files, want several rotations", n)
	}
	check(w, 400)
	closeLog()
	if _, err := os.Stat(filepath.Join(dir, spareName)); err == nil {
		// Left by Close (prepared or partial): the next open removes it.
		t.Log("spare left after close")
	}

	w, _, closeLog = openZeroedWAL(t, dir)
	defer closeLog()
	if _, err := os.Stat(filepath.Join(dir, spareName)); err == nil {
		t.Fatal("a spare from before the open was not removed")
	}
	check(w, 400)
	store(w, 401, 600)
	check(w, 600)
	if last, err := w.LastIndex(); err != nil || last != 600 {
		t.Fatalf("last index %d, %v", last, err)
	}
}

// Create gives a file of the asked size, all zeros, whether it takes the
// spare or zeroes in place, refuses a name that exists, and prepares a
// spare for the next one; Sync works on it.
func TestZeroedVFSCreate(t *testing.T) {
	dir := t.TempDir()
	v, err := newZeroedVFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	const size = 3*zeroChunk + 4096
	for i := range 3 {
		name := fmt.Sprintf("seg-%d.wal", i)
		f, err := v.Create(dir, name, size)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte("record"), 100); err != nil {
			t.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want := make([]byte, size)
		copy(want[100:], "record")
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: %d bytes, not the record in zeros", name, len(got))
		}
		if _, err := v.Create(dir, name, size); !errors.Is(err, os.ErrExist) {
			t.Fatalf("Create over %s: %v, want it to exist", name, err)
		}
		// The next spare is being prepared (or ready): wait for it.
		v.mu.Lock()
		ch := v.preparing
		v.mu.Unlock()
		if ch != nil {
			<-ch
		}
		v.mu.Lock()
		ready := v.spareSize
		v.mu.Unlock()
		if ready != size {
			t.Fatalf("after Create %d: spare of %d bytes ready, want %d", i, ready, size)
		}
	}
	// OpenWriter reopens a segment; its Sync works.
	f, err := v.OpenWriter(dir, "seg-0.wal")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := f.ReadAt(buf, 100); err != nil && err != io.EOF || string(buf) != "record" {
		t.Fatalf("reopened: %q, %v", buf, err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// Close stops a spare's preparation and waits for it; Create after Close
// still works (zeroing in place) and starts nothing.
func TestZeroedVFSClose(t *testing.T) {
	dir := t.TempDir()
	v, err := newZeroedVFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	v.prepare(64 << 20)
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	v.mu.Lock()
	preparing := v.preparing
	v.mu.Unlock()
	if preparing != nil {
		t.Fatal("a preparation still runs after Close")
	}
	f, err := v.Create(dir, "a.wal", 8192)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	v.mu.Lock()
	preparing = v.preparing
	v.mu.Unlock()
	if preparing != nil {
		t.Fatal("Create after Close started a preparation")
	}
}
