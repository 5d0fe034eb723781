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
//	+------+-------+--------+----+--------+-------+-----+--------+-------+
//	| JSON | u32 r | u32 o0 | id | u32 o1 | key 1 | ... | u32 on | key n |
//	+------+-------+--------+----+--------+-------+-----+--------+-------+
//	  r = len(JSON), oi = offset of key i from the end of the JSON (the
//	  start of r), little endian
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
// the block's start, RecordOf cost one more cache miss per get).

// The invariant that makes RecordOf safe: every key stored in a record map
// or an index was returned by NewBlock (or is a substring of such a key
// that starts at the key's start, which the trees never make). Keys used
// only to search (Get, Delete, the bounds of a scan) may be any string.

const blockHdr = 4 // bytes of each length or offset

// BlockSize returns the size of the block of a record of n bytes, an id of
// idLen bytes and keys of keyBytes bytes in total, nkeys of them.
func BlockSize(n, idLen, keyBytes, nkeys int) int {
	return blockHdr + n + blockHdr + idLen + nkeys*blockHdr + keyBytes
}

// NewBlock returns the block of record rec with encoded id id and the entry
// keys held back to back in keys, key i ending at ends[i]; it returns the
// record, the id and (in out, which must have room for len(ends)) each key
// as substrings of the block.
func NewBlock(rec, id string, keys []byte, ends []int, out []string) (brec, bid string) {
	size := BlockSize(len(rec), len(id), len(keys), len(ends))
	var b strings.Builder
	b.Grow(size)
	b.WriteString(rec)
	end := len(rec) // where r starts; key offsets count from here
	writeHdr(&b, len(rec))
	idAt := blockHdr * 2
	writeHdr(&b, idAt)
	b.WriteString(id)
	// Key i starts after the id, i+1 offsets and the keys before it.
	keysAt := idAt + len(id) + blockHdr
	start := 0
	for i, e := range ends {
		writeHdr(&b, keysAt+i*blockHdr+start)
		b.Write(keys[start:e])
		start = e
	}
	blk := b.String()
	start = 0
	for i, e := range ends {
		at := end + keysAt + i*blockHdr + start
		out[i] = blk[at : at+e-start]
		start = e
	}
	return blk[:len(rec)], blk[end+idAt : end+idAt+len(id)]
}

func writeHdr(b *strings.Builder, v int) {
	var hdr [blockHdr]byte
	binary.LittleEndian.PutUint32(hdr[:], uint32(v))
	b.Write(hdr[:])
}

// RecordOf returns the record JSON of the block that key (a key returned by
// NewBlock, as stored in a tree) belongs to.
func RecordOf(key string) string {
	p := unsafe.Pointer(unsafe.StringData(key))
	off := binary.LittleEndian.Uint32(unsafe.Slice((*byte)(unsafe.Add(p, -blockHdr)), blockHdr))
	end := unsafe.Add(p, -int(off))
	n := binary.LittleEndian.Uint32(unsafe.Slice((*byte)(end), blockHdr))
	return unsafe.String((*byte)(unsafe.Add(end, -int(n))), int(n))
}
