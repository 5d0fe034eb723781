package index

import (
	"strings"
	"sync/atomic"
	"unsafe"
)

// A record block is one string holding a record's JSON and every key that
// refers to it (its encoded id in the record map, its entry key in each
// index):
//
//	+------+---+----+----+-------+-----+----+-------+
//	| JSON | r | id | o1 | key 1 | ... | on | key n |
//	+------+---+----+----+-------+-----+----+-------+
//	  r  = len(JSON), read backward from the id (varint.go: 1 byte below
//	       128, 2 below 16 KiB, else 4)
//	  oi = the distance from the id's start to key i's start, read backward
//	       from the key (the same sizes)
//
// The trees store only the keys, as substrings of the block (values of zero
// size): RecordOfID finds the JSON from the address of the record map's
// key, right after r, and RecordOf from an index's key through its offset.
// So an entry costs its key bytes and one slot in a node: no value slot, no
// second pointer for the collector to trace, and one allocation per record
// for everything.
//
// The JSON's length sits right before the id, in the cache line that a get
// by id reads anyway to compare the key. Sizes by need, not fixed at two
// bytes as before the seventh round: the project's 1M-record benchmark's
// blocks (~124 B of JSON, a 6-byte id, three index keys) were 214-217
// bytes, in the 224-B size class; the one-byte forms (and the id's own
// offset, which RecordOfID does not need) take 9 bytes off and put them in
// the 208-B class.

// The invariant that makes RecordOf and RecordOfID safe: every key stored
// in an index (in a record map) was returned by NewBlock as an entry key
// (as the id), or is a substring of such a key that starts at the key's
// start, which the trees never make. Keys used only to search (Get,
// Delete, the bounds of a scan) may be any string.

// blockMax bounds a block: 1 GiB, the largest value of the four-byte forms
// (the log's records are at most 256 MiB, and the parser refuses larger
// records).
const blockMax = varMax

// NewBlock returns the block of record rec with encoded id id and the entry
// keys held back to back in keys, key i ending at ends[i]; it returns the
// record, the id and (in out, which must have room for len(ends)) each key
// as substrings of the block. A block of 1 GiB or more panics.
func NewBlock(rec, id string, keys []byte, ends []int, out []string) (brec, bid string) {
	// Where each key starts, from the id's start: after the key's offset,
	// whose size depends on where the key starts.
	head := len(rec) + varSize(len(rec)) // where the id starts
	pos := len(id)
	next := func(n int) int { // the offset of a key of n bytes at pos
		at := pos + 1
		if at >= 1<<7 {
			at = pos + 2
			if at >= 1<<14 {
				at = pos + 4
			}
		}
		pos = at + n
		return at
	}
	var atsArr [16]int
	ats := atsArr[:0]
	start := 0
	for _, e := range ends {
		ats = append(ats, next(e-start))
		start = e
	}
	if head+pos >= blockMax {
		panic("fleetdb: a record and its index keys take 1 GiB or more")
	}
	var arr [8]byte
	var b strings.Builder
	b.Grow(head + pos)
	b.WriteString(rec)
	b.Write(appendBack(arr[:0], len(rec)))
	b.WriteString(id)
	start = 0
	for i, e := range ends {
		b.Write(appendBack(arr[:0], ats[i]))
		b.Write(keys[start:e])
		start = e
	}
	blk := b.String()
	start = 0
	for i, e := range ends {
		at := head + ats[i]
		out[i] = blk[at : at+e-start]
		start = e
	}
	return blk[:len(rec)], blk[head : head+len(id)]
}

// RecordOfID returns the record JSON of the block whose id (the record
// map's key, as NewBlock returned it) is key.
func RecordOfID(key string) string {
	return recordBefore(unsafe.Pointer(unsafe.StringData(key)))
}

// RecordsOfIDs is RecordOfID of each of keys (record-map keys; "" is
// skipped) into recs, for a batch of reads: it first loads the byte before
// every key (where its record's length is), then finds each record and
// loads its first byte, so that the cache misses of different records
// overlap, and the caller's copies of the records find them in the cache.
// At 100,000 records, a server answering pipelined gets spent 0.385-0.395
// us of CPU per get with these passes, 0.410-0.417 with a plain loop of
// RecordOfID (docs/pipe-compare.sh, A/B alternated).
func RecordsOfIDs(keys, recs []string) {
	var sink uint64
	for _, k := range keys {
		if k != "" {
			sink += uint64(*(*byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(k)), -1)))
		}
	}
	for i, k := range keys {
		if k != "" {
			r := RecordOfID(k)
			recs[i] = r
			if r != "" {
				sink += uint64(r[0])
			}
		}
	}
	recordsSink.Add(sink)
}

// recordsSink keeps RecordsOfIDs' loads (the compiler drops loads whose
// values go nowhere); atomic, since many goroutines read at once.
var recordsSink atomic.Uint64

// RecordOf returns the record JSON of the block that key (an entry key
// returned by NewBlock, as stored in an index) belongs to.
func RecordOf(key string) string {
	p := unsafe.Pointer(unsafe.StringData(key))
	off, _ := readBack(p)
	return recordBefore(unsafe.Add(p, -off))
}

// recordBefore returns the JSON of the block whose id starts at p.
func recordBefore(p unsafe.Pointer) string {
	n, sz := readBack(p)
	return unsafe.String((*byte)(unsafe.Add(p, -sz-n)), n)
}
