package index

import "unsafe"

// Lengths and offsets inside record blocks and entry keys (a block's
// record length, a key's offset in its block, an entry key's trailing id
// length) take 1, 2 or 4 bytes, by size, and are read backward from the
// byte after them: the tag of the form is in the last byte.
//
//	1 byte:  0vvvvvvv                              v < 1<<7
//	2 bytes: vvvvvvvv 10vvvvvv                     v < 1<<14
//	4 bytes: vvvvvvvv vvvvvvvv vvvvvvvv 11vvvvvv   v < 1<<30
//
// Every value is below varMax: a block is at most 1 GiB (NewBlock), and
// the parser refuses records longer than 256 MiB.
const varMax = 1 << 30

// varSize returns the bytes of v.
func varSize(v int) int {
	switch {
	case v < 1<<7:
		return 1
	case v < 1<<14:
		return 2
	}
	return 4
}

// appendBack appends v to be read backward from the byte after it.
func appendBack(dst []byte, v int) []byte {
	switch {
	case v < 1<<7:
		return append(dst, byte(v))
	case v < 1<<14:
		return append(dst, byte(v), 0x80|byte(v>>8))
	}
	return append(dst, byte(v), byte(v>>8), byte(v>>16), 0xC0|byte(v>>24))
}

// readBack reads the value that ends at p (p is the address after its last
// byte) and returns it and its size.
func readBack(p unsafe.Pointer) (int, int) {
	b := *(*byte)(unsafe.Add(p, -1))
	switch {
	case b < 0x80:
		return int(b), 1
	case b < 0xC0:
		return int(b&0x3F)<<8 | int(*(*byte)(unsafe.Add(p, -2))), 2
	}
	q := (*[4]byte)(unsafe.Add(p, -4))
	return int(b&0x3F)<<24 | int(q[2])<<16 | int(q[1])<<8 | int(q[0]), 4
}

// readBackString reads the value that ends at s[end] (exclusive), as
// readBack does, from a string. Both are needed: an entry key often ends
// where its block ends, and a pointer to the byte after it points past the
// allocation (checkptr refuses it under -race), while RecordOf reads before
// a key, in bytes of its block that no string of the key covers.
func readBackString(s string, end int) (int, int) {
	b := s[end-1]
	switch {
	case b < 0x80:
		return int(b), 1
	case b < 0xC0:
		return int(b&0x3F)<<8 | int(s[end-2]), 2
	}
	return int(b&0x3F)<<24 | int(s[end-2])<<16 | int(s[end-3])<<8 | int(s[end-4]), 4
}
