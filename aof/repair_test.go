package aof_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/aof"
	"github.com/fleetdb-go/fleetdb/aof/aoftest"
)

// TestRepair damages a log in the ways a disk and a crash do (a flipped byte in a middle
// batch, garbage after the last batch, a torn tail) and repairs it: the log keeps exactly the
// intact prefix, the cut file holds exactly the cut bytes, both survive a power cut right
// after Repair returns, the counts are right, and the log opens and appends afterwards. A
// second repair finds nothing to do.
func TestRepair(t *testing.T) {
	batches := fixedBatches()
	full, ends := buildLog(t, batches)
	rng := rand.New(rand.NewPCG(5, 6))
	garbage := makeRecord(rng, "", 37)
	type tc struct {
		name       string
		data       []byte
		cutAt      int64 // where the log must be cut
		batches    int64 // batches the cut bytes held
		records    int64
		corruption bool
	}
	middle := bytes.Clone(full)
	middle[ends[3]+20] ^= 0x01 // inside the first record of batch 4 (of 7)
	cases := []tc{
		{"corrupt middle", middle, ends[3], 4, 0, true},
		{"garbage tail", append(bytes.Clone(full), garbage...), int64(len(full)), 0, 0, true},
		{"torn tail", full[:ends[6]-3], ends[5], 1, 1, false}, // inside the one big record of batch 6
	}
	// Batch 4 holds one record (makeBatches(...,1,1,...)); the cut holds batches 4..7.
	cases[0].records = int64(len(flatten(batches[3:])))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := fsWith(c.data)
			if _, _, err := openLog(t, logPath, aof.Options{FS: fsWith(c.data)}); c.corruption {
				var ce *aof.CorruptError
				if !errors.As(err, &ce) || ce.BatchOffset != c.cutAt {
					t.Fatalf("Open: %v, want corruption in the batch at %d", err, c.cutAt)
				}
			}
			rep, err := aof.Repair(logPath, fsys)
			if err != nil {
				t.Fatal(err)
			}
			fsys.PowerCut()
			want := aof.RepairReport{CutOffset: c.cutAt, CutBytes: int64(len(c.data)) - c.cutAt,
				CutBatches: c.batches, CutRecords: c.records, CutPath: aof.CutPath(logPath, c.cutAt)}
			if rep.CutOffset != want.CutOffset || rep.CutBytes != want.CutBytes || rep.CutPath != want.CutPath ||
				rep.CutBatches != want.CutBatches || rep.CutRecords != want.CutRecords {
				t.Fatalf("report %+v, want %+v", rep, want)
			}
			if rep.Kept.Size != c.cutAt || rep.Reason == "" {
				t.Fatalf("report %+v", rep)
			}
			kept, _ := fsys.ReadFile(logPath)
			if !bytes.Equal(kept, c.data[:c.cutAt]) {
				t.Fatalf("log after repair: %d bytes, want the %d-byte prefix", len(kept), c.cutAt)
			}
			cut, err := fsys.ReadFile(rep.CutPath)
			if err != nil || !bytes.Equal(cut, c.data[c.cutAt:]) {
				t.Fatalf("cut file: %d bytes (%v), want the %d cut bytes", len(cut), err, len(c.data)-int(c.cutAt))
			}
			k := batchesBefore(ends, c.cutAt)
			l, got := mustOpen(t, logPath, aof.Options{FS: fsys})
			checkRecords(t, got, flatten(batches[:k]))
			if err := l.Append([][]byte{[]byte("after repair")}); err != nil {
				t.Fatal(err)
			}
			l.Close()
			_, got = mustOpen(t, logPath, aof.Options{FS: fsys})
			checkRecords(t, got, append(flatten(batches[:k]), []byte("after repair")))
			again, err := aof.Repair(logPath, fsys)
			if err != nil || again.CutBytes != 0 || again.CutPath != "" {
				t.Fatalf("second repair: %+v %v", again, err)
			}
		})
	}
}

// TestRepairNeverOverwrites: a cut file from an earlier repair is never replaced; the repair
// refuses and the log is untouched.
func TestRepairNeverOverwrites(t *testing.T) {
	full, ends := buildLog(t, fixedBatches())
	data := append(bytes.Clone(full), "garbage garbage garbage"...)
	fsys := fsWith(data)
	fsys.WriteFile(aof.CutPath(logPath, ends[len(ends)-1]), []byte("earlier"))
	if _, err := aof.Repair(logPath, fsys); err == nil || !strings.Contains(err.Error(), "already exists with other bytes") {
		t.Fatalf("Repair over an earlier cut file: %v", err)
	}
	if got, _ := fsys.ReadFile(logPath); !bytes.Equal(got, data) {
		t.Fatal("the log changed")
	}
	if got, _ := fsys.ReadFile(aof.CutPath(logPath, ends[len(ends)-1])); string(got) != "earlier" {
		t.Fatal("the earlier cut file changed")
	}
}

// TestRepairBadHeader: a log whose file header is damaged is not repaired.
func TestRepairBadHeader(t *testing.T) {
	full, _ := buildLog(t, fixedBatches())
	full[2] ^= 0xff
	fsys := fsWith(full)
	if _, err := aof.Repair(logPath, fsys); !errors.Is(err, aof.ErrCorrupt) {
		t.Fatalf("Repair of a bad header: %v", err)
	}
	if got, _ := fsys.ReadFile(logPath); !bytes.Equal(got, full) {
		t.Fatal("the log changed")
	}
}

// TestRepairFaults fails each file operation of a repair in turn, then cuts the power: the
// bytes of the log are never lost (the log is untouched, or cut with the cut file complete),
// and a second repair then succeeds with the same result as an undisturbed one.
func TestRepairFaults(t *testing.T) {
	full, ends := buildLog(t, fixedBatches())
	data := bytes.Clone(full)
	data[ends[4]+20] ^= 0x04
	cutAt := ends[4]
	cutPath := aof.CutPath(logPath, cutAt)
	for _, op := range []aoftest.Op{aoftest.OpOpen, aoftest.OpWrite, aoftest.OpSync, aoftest.OpSyncDir, aoftest.OpTruncate} {
		for skip := 0; skip < 3; skip++ {
			fsys := fsWith(data)
			fsys.Inject(aoftest.Fault{Op: op, Skip: skip})
			_, rerr := aof.Repair(logPath, fsys)
			fsys.PowerCut()
			fsys.ClearFaults()
			log, _ := fsys.ReadFile(logPath)
			cut, cerr := fsys.ReadFile(cutPath)
			switch {
			case bytes.Equal(log, data):
			case bytes.Equal(log, data[:cutAt]) && cerr == nil && bytes.Equal(cut, data[cutAt:]):
			default:
				t.Fatalf("%s (skip %d): repair error %v; after a power cut the log has %d bytes and the cut file %d (%v)",
					op, skip, rerr, len(log), len(cut), cerr)
			}
			rep, err := aof.Repair(logPath, fsys)
			if err != nil {
				t.Fatalf("%s (skip %d): repair after a failed one: %v", op, skip, err)
			}
			if bytes.Equal(log, data) && rep.CutOffset != cutAt {
				t.Fatalf("%s (skip %d): second repair %+v", op, skip, rep)
			}
			log, _ = fsys.ReadFile(logPath)
			cut, _ = fsys.ReadFile(cutPath)
			if !bytes.Equal(log, data[:cutAt]) || !bytes.Equal(cut, data[cutAt:]) {
				t.Fatalf("%s (skip %d): after the second repair: log %d bytes, cut file %d", op, skip, len(log), len(cut))
			}
		}
	}
}
