package index

import (
	"strings"
	"testing"
	"unsafe"
)

// TestBlockRoundTrip builds blocks of records and keys of sizes around the
// two-byte limit of lengths and offsets and checks that every key leads
// back to its record and holds its bytes.
func TestBlockRoundTrip(t *testing.T) {
	sizes := []int{0, 1, 100, 120, 126, 127, 128, 129, 1<<14 - 140, 1<<14 - 1, 1 << 14, 1<<14 + 1, 3 << 14}
	for _, recLen := range sizes {
		for _, keyLen := range sizes {
			rec := `{"x":"` + strings.Repeat("r", max(recLen-8, 0)) + `"}`
			if recLen == 0 {
				rec = ""
			}
			id := "\x04\x80\x00\x01"
			var keys []byte
			var ends []int
			for i := 0; i < 3; i++ {
				keys = append(keys, strings.Repeat(string(rune('a'+i)), keyLen+1+i)...) // never empty: a key holds an id
				ends = append(ends, len(keys))
			}
			out := make([]string, len(ends))
			brec, bid := NewBlock(rec, id, keys, ends, out)
			if brec != rec || bid != id {
				t.Fatalf("record %d, keys %d: block gives back record %d bytes, id %q", recLen, keyLen, len(brec), bid)
			}
			if got := RecordOfID(bid); got != rec {
				t.Fatalf("record %d, keys %d: RecordOf(id) is %d bytes, want %d", recLen, keyLen, len(got), len(rec))
			}
			start := 0
			for i, k := range out {
				if k != string(keys[start:ends[i]]) {
					t.Fatalf("record %d, keys %d: key %d differs", recLen, keyLen, i)
				}
				if got := RecordOf(k); got != rec {
					t.Fatalf("record %d, keys %d: RecordOf(key %d) is %d bytes, want %d", recLen, keyLen, i, len(got), len(rec))
				}
				start = ends[i]
			}
		}
	}
}

// TestRecordsOfIDs: for a batch of ids (blocks of records from empty to
// 48 KB, with "" among them), RecordsOfIDs finds what RecordOfID finds,
// leaves "" for "", and may write its answers over its keys.
func TestRecordsOfIDs(t *testing.T) {
	var ids, want []string
	for i, n := range []int{0, 1, 127, 128, 1 << 14, 3 << 14} {
		rec := strings.Repeat("r", n)
		id := string(AppendNumber(nil, Number{IsInt: true, Int: int64(i)}))
		_, bid := NewBlock(rec, id, nil, nil, nil)
		ids, want = append(ids, bid, ""), append(want, rec, "")
	}
	recs := make([]string, len(ids))
	RecordsOfIDs(ids, recs)
	for i := range ids {
		if recs[i] != want[i] {
			t.Fatalf("id %d: %d bytes, want %d", i, len(recs[i]), len(want[i]))
		}
	}
	RecordsOfIDs(ids, ids) // in place, as collection.GetMany calls it
	for i := range ids {
		if ids[i] != want[i] {
			t.Fatalf("in place, id %d: %d bytes, want %d", i, len(ids[i]), len(want[i]))
		}
	}
}

// TestBlockSize pins the size of the project's 1M-record benchmark's block
// shape (~124 B of JSON, a 6-byte id, three index keys of ~78 B in all):
// it must stay within the 208-B size class.
func TestBlockSize(t *testing.T) {
	rec := strings.Repeat("j", 124)
	id := string(AppendNumber(nil, Number{IsInt: true, Int: 123456}))
	keys := []byte(strings.Repeat("k", 74))
	ends := []int{33, 45, 74}
	out := make([]string, 3)
	brec, _ := NewBlock(rec, id, keys, ends, out)
	// The block's bytes run from the record's start to the last key's end.
	size := int(uintptr(unsafe.Pointer(unsafe.StringData(out[2])))-uintptr(unsafe.Pointer(unsafe.StringData(brec)))) + len(out[2])
	if size != 124+1+6+3*1+74 || size > 208 {
		t.Fatalf("block of %d bytes", size)
	}
}
