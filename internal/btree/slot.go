package btree

import "unsafe"

// A key slot of a node is two words: the key's word (its first prefixLen
// bytes as a big-endian integer, then one byte holding its length, or
// longKey for a key of longKey bytes or more) and a pointer.
//
// The pointer of a key shorter than longKey is the address of its first
// byte, and the length comes from the word: the slot costs 16 bytes and
// keeps the key's allocation alive as the string header did. A longer key's
// pointer is that of a string header allocated for it (slotPtr), which is
// rare in practice (index keys of long strings) and costs 16 bytes more.
//
// Order from words alone: when two words differ in their first prefixLen
// bytes, they order as their keys do. When those bytes tie and either key is
// at most prefixLen bytes long, the shorter key is a prefix of the longer
// (which goes on with zero bytes), so the lengths, the words' last bytes,
// order them. Only two keys longer than prefixLen that share their first
// prefixLen bytes need their bytes compared (decided reports which case
// holds).
const (
	prefixLen = 7
	lenMask   = 0xFF
	longKey   = lenMask // the length byte of a key of longKey bytes or more
)

// word returns the word of key s.
func word(s string) uint64 {
	var p uint64
	if len(s) >= prefixLen {
		_ = s[prefixLen-1]
		p = uint64(s[0])<<56 | uint64(s[1])<<48 | uint64(s[2])<<40 | uint64(s[3])<<32 |
			uint64(s[4])<<24 | uint64(s[5])<<16 | uint64(s[6])<<8
	} else {
		for i := 0; i < len(s); i++ {
			p |= uint64(s[i]) << (56 - 8*i)
		}
	}
	return p | uint64(min(len(s), longKey))
}

// decided reports whether the words q and p of two keys order the keys (q <
// p exactly when the key of q is the smaller, q == p when they are equal),
// so that the keys' bytes need not be read.
func decided(q, p uint64) bool {
	return q^p > lenMask || q&lenMask <= prefixLen || p&lenMask <= prefixLen
}

// slotPtr returns the pointer that a slot holds for key k.
func slotPtr(k string) unsafe.Pointer {
	if len(k) >= longKey {
		h := new(string)
		*h = k
		return unsafe.Pointer(h)
	}
	return unsafe.Pointer(unsafe.StringData(k))
}

// slotKey returns the key of the slot with word w and pointer p: a string
// whose bytes are those the key was stored with (package index finds a
// record from its key's address).
func slotKey(w uint64, p unsafe.Pointer) string {
	n := int(w & lenMask)
	if n == longKey {
		return *(*string)(p)
	}
	return unsafe.String((*byte)(p), n)
}
