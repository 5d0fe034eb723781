package aof_test

import (
	"bytes"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/aof"
)

// fixedBatches is a small log with batches of different shapes, ending in a non-empty record.
func fixedBatches() [][][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	return [][][]byte{
		{[]byte(`{"id":1}`)},
		{[]byte(`{"id":2,"name":"two"}`), []byte(`{"id":3}`), {}},
		{{}},
		makeBatches(rng, 1, 1, 60)[0],
		{[]byte("a"), []byte("bb"), []byte("ccc"), []byte("dddd")},
		{makeRecord(rng, "big:", 700)},
		{[]byte(`{"id":4}`), []byte(`{"id":5,"last":true}`)},
	}
}

// batchesBefore returns how many batches end at or before off.
func batchesBefore(ends []int64, off int64) int {
	k := 0
	for k+1 < len(ends) && ends[k+1] <= off {
		k++
	}
	return k
}

// TestTornTailEveryOffset cuts the log at every offset inside its last three batches: Open
// replays exactly the complete batches before the cut, truncates the file to them, warns, and
// the log then appends and reopens normally.
func TestTornTailEveryOffset(t *testing.T) {
	batches := fixedBatches()
	full, ends := buildLog(t, batches)
	from := ends[len(ends)-4]
	extra := [][]byte{[]byte("after=1"), []byte("after=2")}
	for cut := from; cut <= int64(len(full)); cut++ {
		fsys := fsWith(full[:cut])
		logs := &logCapture{}
		l, got := mustOpen(t, logPath, aof.Options{FS: fsys, Logger: logs.logger()})
		k := batchesBefore(ends, cut)
		want := flatten(batches[:k])
		checkRecords(t, got, want)
		if l.Size() != ends[k] {
			t.Fatalf("cut %d: size %d after open, want %d", cut, l.Size(), ends[k])
		}
		if data, _ := fsys.ReadFile(logPath); !bytes.Equal(data, full[:ends[k]]) {
			t.Fatalf("cut %d: file not truncated to the valid prefix (%d bytes, want %d)", cut, len(data), ends[k])
		}
		warns := logs.lines(slog.LevelWarn)
		if cut == ends[k] {
			if len(warns) != 0 {
				t.Fatalf("cut %d at a batch boundary: unexpected warning %v", cut, warns)
			}
		} else {
			if len(warns) != 1 || warns[0].attrs["offset"] != ends[k] || warns[0].attrs["dropped_bytes"] != cut-ends[k] {
				t.Fatalf("cut %d: warnings %+v, want one with offset %d and dropped_bytes %d", cut, warns, ends[k], cut-ends[k])
			}
		}
		if err := l.Append(extra); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		_, got = mustOpen(t, logPath, aof.Options{FS: fsys})
		checkRecords(t, got, append(want[:len(want):len(want)], extra...))
	}
}

// TestTornFileHeader: a file shorter than its header (a crash while creating the log) opens
// as an empty log with a fresh header.
func TestTornFileHeader(t *testing.T) {
	full, _ := buildLog(t, nil)
	for cut := range aof.FileHeaderSize {
		for _, data := range [][]byte{full[:cut], make([]byte, cut)} {
			fsys := fsWith(data)
			logs := &logCapture{}
			l, got := mustOpen(t, logPath, aof.Options{FS: fsys, Logger: logs.logger()})
			checkRecords(t, got, nil)
			if l.Size() != aof.FileHeaderSize {
				t.Fatalf("size %d", l.Size())
			}
			if n := len(logs.lines(slog.LevelWarn)); (cut > 0) != (n == 1) {
				t.Fatalf("cut %d: %d warnings", cut, n)
			}
		}
	}
	// An all-zero file is a crash while creating it, too.
	fsys := fsWith(make([]byte, 4096))
	if l, got := mustOpen(t, logPath, aof.Options{FS: fsys}); len(got) != 0 || l.Size() != aof.FileHeaderSize {
		t.Fatalf("all-zero file: %d records, size %d", len(got), l.Size())
	}
	// A short file that is not a header prefix is corruption.
	fsys = fsWith([]byte("hello"))
	if _, _, err := openLog(t, logPath, aof.Options{FS: fsys}); !errors.Is(err, aof.ErrCorrupt) {
		t.Fatalf("short garbage file: %v", err)
	}
}

// TestZeroTail: zeros from some offset to the end of the file are a torn tail.
func TestZeroTail(t *testing.T) {
	batches := fixedBatches()
	full, ends := buildLog(t, batches)
	from := ends[len(ends)-4]
	for cut := from; cut <= int64(len(full)); cut++ {
		for _, zeros := range []int{8, 100, 4096} {
			data := append(bytes.Clone(full[:cut]), make([]byte, zeros)...)
			fsys := fsWith(data)
			logs := &logCapture{}
			l, got := mustOpen(t, logPath, aof.Options{FS: fsys, Logger: logs.logger()})
			k := batchesBefore(ends, cut)
			checkRecords(t, got, flatten(batches[:k]))
			if l.Size() != ends[k] || len(logs.lines(slog.LevelWarn)) != 1 {
				t.Fatalf("cut %d + %d zeros: size %d (want %d), warnings %v", cut, zeros, l.Size(), ends[k], logs.lines(slog.LevelWarn))
			}
		}
	}
	// Fewer than 8 zero bytes at the end of a complete frame are not enough to pass for a
	// torn tail (a flipped byte could do that): corruption.
	data := append(bytes.Clone(full[:len(full)-3]), 0, 0, 0)
	if _, _, err := openLog(t, logPath, aof.Options{FS: fsWith(data)}); !errors.Is(err, aof.ErrCorrupt) {
		t.Fatalf("3 zeroed bytes at the end: %v", err)
	}
}

// TestGarbageTail: bytes after the last batch that form a complete frame with a bad checksum
// are corruption; fewer bytes than a frame header are a torn tail.
func TestGarbageTail(t *testing.T) {
	batches := fixedBatches()
	full, _ := buildLog(t, batches)
	frame, _ := buildLog(t, [][][]byte{{[]byte("tail record")}})
	frame = frame[aof.FileHeaderSize:]
	badData := bytes.Clone(frame)
	badData[len(badData)-1] ^= 0x20
	rng := rand.New(rand.NewPCG(3, 4))
	garbage := makeRecord(rng, "", 40)
	for _, tc := range []struct {
		name    string
		tail    []byte
		corrupt bool
	}{
		{"frame with bad data checksum", badData, true},
		{"random bytes", garbage, true},
		{"short random bytes", garbage[:11], false},
		{"frame header only", frame[:12], false},
	} {
		data := append(bytes.Clone(full), tc.tail...)
		_, got, err := openLog(t, logPath, aof.Options{FS: fsWith(data)})
		if tc.corrupt {
			var ce *aof.CorruptError
			if !errors.As(err, &ce) || !errors.Is(err, aof.ErrCorrupt) || ce.Offset != int64(len(full)) {
				t.Fatalf("%s: err %v, want corruption at offset %d", tc.name, err, len(full))
			}
			if !strings.Contains(err.Error(), "at offset") {
				t.Fatalf("%s: error %q does not name the offset", tc.name, err)
			}
		} else {
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			checkRecords(t, got, flatten(batches))
		}
	}
}

// frameStarts returns the offset of every frame in a log of the batches.
func frameStarts(batches [][][]byte) []int64 {
	var starts []int64
	off := int64(aof.FileHeaderSize)
	for _, b := range batches {
		for _, r := range b {
			starts = append(starts, off)
			off += aof.FrameOverhead + int64(len(r))
		}
	}
	return starts
}

// TestCorruptEveryByte flips bits in every byte of a committed log: Open must fail with
// ErrCorrupt naming the offset of the damaged frame (never replay different data), and with
// Repair open with the batches before it.
func TestCorruptEveryByte(t *testing.T) {
	batches := fixedBatches()
	full, ends := buildLog(t, batches)
	starts := frameStarts(batches)
	for i := range full {
		wantOff := int64(0)
		for _, s := range starts {
			if s <= int64(i) {
				wantOff = s
			}
		}
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			data := bytes.Clone(full)
			data[i] ^= mask
			_, got, err := openLog(t, logPath, aof.Options{FS: fsWith(data)})
			var ce *aof.CorruptError
			if !errors.Is(err, aof.ErrCorrupt) || !errors.As(err, &ce) {
				t.Fatalf("byte %d ^ %#x: Open = %v (replayed %d records), want ErrCorrupt", i, mask, err, len(got))
			}
			if ce.Offset != wantOff {
				t.Fatalf("byte %d ^ %#x: corruption reported at offset %d, want %d (%v)", i, mask, ce.Offset, wantOff, err)
			}
			rep, err := aof.Check(logPath, fsWith(data))
			if err != nil || !errors.Is(rep.Corruption, aof.ErrCorrupt) {
				t.Fatalf("byte %d: Check = %+v, %v", i, rep, err)
			}

			// Repair keeps the batches before the damaged one.
			fsys := fsWith(data)
			logs := &logCapture{}
			l, got, err := openLog(t, logPath, aof.Options{FS: fsys, Repair: true, Logger: logs.logger()})
			if i < aof.FileHeaderSize {
				if err == nil {
					t.Fatalf("byte %d: Repair opened a log with a damaged file header", i)
				}
				continue
			}
			if err != nil {
				t.Fatalf("byte %d: Open with Repair: %v", i, err)
			}
			k := batchesBefore(ends, wantOff)
			checkRecords(t, got, flatten(batches[:k]))
			if l.Size() != ends[k] || len(logs.lines(slog.LevelError)) != 1 {
				t.Fatalf("byte %d: repaired size %d, want %d; error logs %v", i, l.Size(), ends[k], logs.lines(slog.LevelError))
			}
			l.Close()
		}
	}
}

// TestCorruptRandom flips random bytes of a larger log in many places at once.
func TestCorruptRandom(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 5))
	batches := makeBatches(rng, 50, 10, 200)
	full, _ := buildLog(t, batches)
	for range 300 {
		data := bytes.Clone(full)
		first := len(data)
		for range 1 + rng.IntN(5) {
			i := rng.IntN(len(data))
			data[i] ^= byte(1 + rng.IntN(255))
			first = min(first, i)
		}
		_, _, err := openLog(t, logPath, aof.Options{FS: fsWith(data)})
		var ce *aof.CorruptError
		if !errors.As(err, &ce) || ce.Offset > int64(first) {
			t.Fatalf("first damaged byte %d: Open = %v", first, err)
		}
	}
}

func TestReplayError(t *testing.T) {
	full, _ := buildLog(t, fixedBatches()[:3])
	torn := append(bytes.Clone(full), 1, 2, 3) // a torn tail must stay when replay fails
	fsys := fsWith(torn)
	boom := errors.New("boom")
	n := 0
	_, err := aof.Open(logPath, aof.Options{FS: fsys}, func([]byte) error {
		n++
		if n == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "offset") {
		t.Fatalf("Open = %v, want the replay error wrapped with the offset", err)
	}
	if data, _ := fsys.ReadFile(logPath); !bytes.Equal(data, torn) {
		t.Fatal("a failed replay modified the file")
	}
}

func TestUnknownVersion(t *testing.T) {
	// A header with version 2 and a valid checksum.
	h := []byte("FLEETAOF\x02\x00\x00\x00")
	h = append(h, crc32c(h)...)
	_, _, err := openLog(t, logPath, aof.Options{FS: fsWith(h)})
	if !errors.Is(err, aof.ErrVersion) || errors.Is(err, aof.ErrCorrupt) {
		t.Fatalf("version 2: %v", err)
	}
	if _, err := aof.Check(logPath, fsWith(h)); !errors.Is(err, aof.ErrVersion) {
		t.Fatalf("Check of version 2: %v", err)
	}
	_, _, err = openLog(t, logPath, aof.Options{FS: fsWith([]byte(`{"not":"a log file"}` + "\n"))})
	if !errors.Is(err, aof.ErrCorrupt) || !strings.Contains(err.Error(), "magic") {
		t.Fatalf("not a log file: %v", err)
	}
}

func TestCheck(t *testing.T) {
	batches := fixedBatches()
	full, ends := buildLog(t, batches)
	last := ends[len(ends)-1]
	records := int64(len(flatten(batches)))
	for _, tc := range []struct {
		name string
		data []byte
		want aof.Report
	}{
		{"healthy", full, aof.Report{Records: records, Batches: int64(len(batches)), LastValidOffset: last, Size: last}},
		{"torn", append(bytes.Clone(full), 9, 9), aof.Report{Records: records, Batches: int64(len(batches)), LastValidOffset: last, Size: last + 2, TornBytes: 2, TornReason: "file ends inside a frame header"}},
		{"empty", nil, aof.Report{}},
	} {
		fsys := fsWith(tc.data)
		rep, err := aof.Check(logPath, fsys)
		if err != nil || rep != tc.want {
			t.Errorf("%s: Check = %+v, %v; want %+v", tc.name, rep, err, tc.want)
		}
		if data, _ := fsys.ReadFile(logPath); !bytes.Equal(data, tc.data) {
			t.Errorf("%s: Check modified the file", tc.name)
		}
	}
	data := bytes.Clone(full)
	data[ends[2]+5] ^= 1
	rep, err := aof.Check(logPath, fsWith(data))
	if err != nil || !errors.Is(rep.Corruption, aof.ErrCorrupt) || rep.LastValidOffset != ends[2] || rep.Batches != 2 {
		t.Errorf("corrupt: Check = %+v, %v", rep, err)
	}
	if _, err := aof.Check("/nope/log.aof", fsWith(nil)); err == nil {
		t.Error("Check of a missing file succeeded")
	}
}

// TestLargeBatch covers batches larger than the read buffer (validated, then read again for
// replay): torn and corrupt inside such a batch, and a clean replay.
func TestLargeBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 19))
	big := make([][]byte, 300) // ~2.4 MB in one batch
	for i := range big {
		big[i] = makeRecord(rng, "big:", 8000)
	}
	batches := [][][]byte{{[]byte("first")}, big, {[]byte("last")}}
	full, ends := buildLog(t, batches)
	_, got := mustOpen(t, logPath, aof.Options{FS: fsWith(full)})
	checkRecords(t, got, flatten(batches))

	for _, cut := range []int64{ends[1] + 5, ends[1] + 1<<20, ends[2] - 1, ends[2] + 3} {
		l, got := mustOpen(t, logPath, aof.Options{FS: fsWith(full[:cut])})
		k := batchesBefore(ends, cut)
		checkRecords(t, got, flatten(batches[:k]))
		if l.Size() != ends[k] {
			t.Fatalf("cut %d: size %d, want %d", cut, l.Size(), ends[k])
		}
	}
	for _, at := range []int64{ends[1] + 3, ends[1] + 1<<20, ends[2] - 1} {
		data := bytes.Clone(full)
		data[at] ^= 0x40
		_, got, err := openLog(t, logPath, aof.Options{FS: fsWith(data)})
		if !errors.Is(err, aof.ErrCorrupt) || len(got) > 1 {
			t.Fatalf("flip at %d: Open = %v after replaying %d records", at, err, len(got))
		}
	}
}
