package index

import (
	"encoding/binary"
	"strings"
	"unsafe"
)

// A record block is one string holding a record's JSON and every key that
// refers to it (its encoded id in the record map, its entry key in each
// index), each key preceded by its offset from the end of the JSON:
//
//	+------+---+----+----+----+-------+-----+----+-------+
//	| JSON | r | o0 | id | o1 | key 1 | ... | on | key n |
//	+------+---+----+----+----+-------+-----+----+-------+
//	  r = len(JSON), read forward: 2 bytes big endian below 0x8000, else
//	      4 bytes with the top bit of the first set
//	  oi = offset of key i from the end of the JSON (the start of r), read
//	      backward from the key: 2 bytes little endian below 0x8000, else
//	      4 bytes with the top bit of the last (the byte before the key) set
//
// The trees store only the keys, as substrings of the block (values of zero
// size), and RecordOf finds the JSON from a key's address. So an entry
// costs its key bytes and one string header in a node: no value slot, no
// second pointer for the collector to trace, and one allocation per record
// for everything. A leaf of the record map or of an index is then a 416-B
// node instead of a 704-B one, for memory and for every path copy.
//
// The JSON's length sits right before the id, in the cache line that a get
// by id reads anyway to compare the key, and the JSON ends where the id
// begins: a point read touches the block's lines once (with the length at
// the block's start, RecordOf cost one more cache miss per get). Lengths
// and offsets take two bytes in any record below 32 KiB: with four, the
// in-process comparison's blocks (~126 B of JSON, an id, three index keys)
// were 10 bytes over a size class.

// The invariant that makes RecordOf safe: every key stored in a record map
// or an index was returned by NewBlock (or is a substring of such a key
// that starts at the key's start, which the trees never make). Keys used
// only to search (Get, Delete, the bounds of a scan) may be any string.

// shortMax bounds the lengths and offsets written in two bytes.
const shortMax = 0x8000

// hdrSize returns the bytes of a length or offset v.
func hdrSize(v int) int {
	if v < shortMax {
		return 2
	}
	return 4
}

// NewBlock returns the block of record rec with encoded id id and the entry
// keys held back to back in keys, key i ending at ends[i]; it returns the
// record, the id and (in out, which must have room for len(ends)) each key
// as substrings of the block.
func NewBlock(rec, id string, keys []byte, ends []int, out []string) (brec, bid string) {
	// Where each key starts, from the end of the JSON: after r, and after
	// its offset, whose size depends on where the key starts.
	pos := hdrSize(len(rec))
	next := func(n int) int { // the offset of a key of n bytes at pos
		at := pos + 2
		if at >= shortMax {
			at = pos + 4
		}
		pos = at + n
		return at
	}
	idAt := next(len(id))
	var atsArr [16]int
	ats := atsArr[:0]
	start := 0
	for _, e := range ends {
		ats = append(ats, next(e-start))
		start = e
	}
	var b strings.Builder
	b.Grow(len(rec) + pos)
	b.WriteString(rec)
	writeLen(&b, len(rec))
	writeOff(&b, idAt)
	b.WriteString(id)
	start = 0
	for i, e := range ends {
		writeOff(&b, ats[i])
		b.Write(keys[start:e])
		start = e
	}
	blk := b.String()
	end := len(rec)
	start = 0
	for i, e := range ends {
		at := end + ats[i]
		out[i] = blk[at : at+e-start]
		start = e
	}
	return blk[:len(rec)], blk[end+idAt : end+idAt+len(id)]
}

// writeLen writes v to be read forward: the flag in the first byte.
func writeLen(b *strings.Builder, v int) {
	if v < shortMax {
		b.WriteByte(byte(v >> 8))
		b.WriteByte(byte(v))
		return
	}
	b.WriteByte(byte(v>>24) | 0x80)
	b.WriteByte(byte(v >> 16))
	b.WriteByte(byte(v >> 8))
	b.WriteByte(byte(v))
}

// writeOff writes v to be read backward from the byte after it: the flag
// in the last byte.
func writeOff(b *strings.Builder, v int) {
	if v < shortMax {
		b.WriteByte(byte(v))
		b.WriteByte(byte(v >> 8))
		return
	}
	b.WriteByte(byte(v))
	b.WriteByte(byte(v >> 8))
	b.WriteByte(byte(v >> 16))
	b.WriteByte(byte(v>>24) | 0x80)
}

// RecordOf returns the record JSON of the block that key (a key returned by
// NewBlock, as stored in a tree) belongs to. The two-byte forms are read
// inline; the four-byte ones (records or keys past 32 KiB) by a call.
func RecordOf(key string) string {
	p := unsafe.Pointer(unsafe.StringData(key))
	o := binary.LittleEndian.Uint16((*[2]byte)(unsafe.Add(p, -2))[:])
	off := int(o)
	if o >= shortMax {
		off = longOffset(p)
	}
	end := unsafe.Add(p, -off)
	r := binary.BigEndian.Uint16((*[2]byte)(end)[:])
	n := int(r)
	if r >= shortMax {
		n = longLength(end)
	}
	return unsafe.String((*byte)(unsafe.Add(end, -n)), n)
}

// longOffset reads the four-byte offset that ends at p.
func longOffset(p unsafe.Pointer) int {
	return int(binary.LittleEndian.Uint32((*[4]byte)(unsafe.Add(p, -4))[:]) &^ (1 << 31))
}

// longLength reads the four-byte length that starts at p.
func longLength(p unsafe.Pointer) int {
	return int(binary.BigEndian.Uint32((*[4]byte)(p)[:]) &^ (1 << 31))
}
