package index

import (
	"encoding/binary"

	"github.com/tidwall/gjson"
)

// Entry keys: the encodings of the components (descending ones complemented)
// followed by the encoded id and the id's length:
//
//	+----------+-----+----------+-----------+---------------------+
//	| comp 1   | ... | comp n   | id        | len(id): 2 or 4 B   |
//	+----------+-----+----------+-----------+---------------------+
//
// The length is read from the end. Below 0x8000 it is two bytes big-endian
// (top bit clear). Otherwise it is four bytes: the length shifted right by
// 15 in the first two, then the low 15 bits with the top bit set in the last
// two, so that the last two bytes alone tell which form it is:
//
//	short: 0LLLLLLL LLLLLLLL
//	long:  HHHHHHHH HHHHHHHH 1LLLLLLL LLLLLLLL   (len = H<<15 | L) Components and ids are
// prefix-free, so the trailing length never affects the order of keys, and
// records that tie on every component are ordered by id.

// AppendKey appends the entry key of the record rec with encoded id id.
func (s Spec) AppendKey(dst []byte, id string, rec string) []byte {
	for _, c := range s.Components {
		dst = appendComponent(dst, c, c.Path.Get(rec))
	}
	dst = append(dst, id...)
	if len(id) < 0x8000 {
		return binary.BigEndian.AppendUint16(dst, uint16(len(id)))
	}
	// (Setting the top bit of a four-byte length, as this did before, put
	// the flag in the first bytes: an id of 0x10000 bytes ended in 00 00
	// and was read back as an empty id.)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(id)>>15))
	return binary.BigEndian.AppendUint16(dst, uint16(len(id)&0x7FFF)|0x8000)
}

func appendComponent(dst []byte, c Component, v gjson.Result) []byte {
	start := len(dst)
	dst = AppendValue(dst, v)
	if c.Desc {
		Complement(dst[start:])
	}
	return dst
}

// AppendEncoded appends the already-encoded value enc as component c.
func AppendEncoded(dst []byte, c Component, enc string) []byte {
	start := len(dst)
	dst = append(dst, enc...)
	if c.Desc {
		Complement(dst[start:])
	}
	return dst
}

// IDOf returns the encoded id inside an entry key.
func IDOf(key string) string {
	n := len(key)
	l := int(key[n-2])<<8 | int(key[n-1])
	if l < 0x8000 {
		return key[n-2-l : n-2]
	}
	l = (int(key[n-4])<<8|int(key[n-3]))<<15 | l&0x7FFF
	return key[n-4-l : n-4]
}

// ComponentsOf returns the component part of an entry key.
func ComponentsOf(key string) string {
	id := IDOf(key)
	n := len(key) - len(id) - 2
	if len(id) >= 0x8000 {
		n -= 2
	}
	return key[:n]
}
