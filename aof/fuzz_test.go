package aof_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/fleetdb-go/fleetdb/aof"
)

// FuzzOpen opens arbitrary file contents: Open must not panic or hang, and either fail with
// corruption (or an unknown version), or replay exactly the complete batches Check reports,
// leaving a file that reopens to the same records and accepts appends.
func FuzzOpen(f *testing.F) {
	full, ends := buildLog(f, fixedBatches())
	f.Add(full)
	f.Add(full[:ends[3]+5])
	f.Add(append(bytes.Clone(full[:ends[4]]), make([]byte, 600)...))
	flipped := bytes.Clone(full)
	flipped[ends[2]+3] ^= 0x10
	f.Add(flipped)
	f.Add([]byte{})
	f.Add(full[:aof.FileHeaderSize])
	f.Add(full[:7])
	f.Add([]byte("FLEETAOF\x02\x00\x00\x00\x00\x00\x00\x00"))

	f.Fuzz(func(t *testing.T, data []byte) {
		rep, checkErr := aof.Check(logPath, fsWith(data))
		fsys := fsWith(data)
		l, got, err := openLog(t, logPath, aof.Options{FS: fsys})
		if err != nil {
			if !errors.Is(err, aof.ErrCorrupt) && !errors.Is(err, aof.ErrVersion) {
				t.Fatalf("Open failed with neither corruption nor version: %v", err)
			}
			if checkErr == nil && rep.Corruption == nil {
				t.Fatalf("Open = %v, but Check found nothing wrong: %+v", err, rep)
			}
			return
		}
		if checkErr != nil || rep.Corruption != nil || int64(len(got)) != rep.Records {
			t.Fatalf("Open replayed %d records; Check = %+v, %v", len(got), rep, checkErr)
		}
		size := l.Size()
		if want := max(rep.LastValidOffset, aof.FileHeaderSize); size != want {
			t.Fatalf("size %d after Open, want %d", size, want)
		}
		if err := l.Append([][]byte{[]byte("fuzz")}); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		_, again, err := openLog(t, logPath, aof.Options{FS: fsys})
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		checkRecords(t, again, append(got, []byte("fuzz")))
	})
}

// FuzzRepair repairs arbitrary file contents: Repair must not panic; when it fails the file is
// unchanged; otherwise the log keeps a prefix of the file and the cut file holds exactly the
// rest (nothing is lost), Check then finds no damage, and Open replays the records kept.
func FuzzRepair(f *testing.F) {
	full, ends := buildLog(f, fixedBatches())
	f.Add(full)
	f.Add(full[:ends[3]+5])
	f.Add(append(bytes.Clone(full), "garbage after the end"...))
	flipped := bytes.Clone(full)
	flipped[ends[2]+3] ^= 0x10
	f.Add(flipped)
	f.Add([]byte{})
	f.Add(full[:7])

	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fsWith(data)
		rep, err := aof.Repair(logPath, fsys)
		after, _ := fsys.ReadFile(logPath)
		if err != nil {
			if !bytes.Equal(after, data) {
				t.Fatalf("a failed repair (%v) changed the file", err)
			}
			return
		}
		var cut []byte
		if rep.CutBytes > 0 {
			if cut, err = fsys.ReadFile(rep.CutPath); err != nil {
				t.Fatal(err)
			}
			if rep.CutPath != aof.CutPath(logPath, rep.CutOffset) || int64(len(after)) != rep.CutOffset {
				t.Fatalf("report %+v, log now %d bytes", rep, len(after))
			}
		}
		if !bytes.Equal(append(bytes.Clone(after), cut...), data) || int64(len(cut)) != rep.CutBytes {
			t.Fatalf("kept %d + cut %d bytes are not the %d of the file", len(after), len(cut), len(data))
		}
		check, err := aof.Check(logPath, fsys)
		if err != nil {
			return // an unknown version: Repair leaves it to Open to refuse
		}
		if rep.CutBytes > 0 && (check.Corruption != nil || check.TornBytes != 0) {
			t.Fatalf("after repair Check = %+v", check)
		}
		if check.Corruption != nil {
			return // nothing could be kept (a damaged file header); Repair said so or left it
		}
		_, got, err := openLog(t, logPath, aof.Options{FS: fsys})
		if err != nil {
			t.Fatalf("Open after repair: %v", err)
		}
		if int64(len(got)) != check.Records {
			t.Fatalf("Open replayed %d records, Check counted %d", len(got), check.Records)
		}
	})
}
