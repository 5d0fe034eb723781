package index

import "github.com/tidwall/gjson"

// Entry keys: the encodings of the components (descending ones complemented)
// followed by the encoded id and the id's length:
//
//	+----------+-----+----------+-----------+------------------------+
//	| comp 1   | ... | comp n   | id        | len(id): 1, 2 or 4 B   |
//	+----------+-----+----------+-----------+------------------------+
//
// The length is read from the end (varint.go: one byte below 128).
// Components and ids are prefix-free, so the trailing length never affects
// the order of keys, and records that tie on every component are ordered
// by id.

// AppendKey appends the entry key of the record rec with encoded id id.
func (s Spec) AppendKey(dst []byte, id string, rec string) []byte {
	for _, c := range s.Components {
		dst = appendComponent(dst, c, c.Path.Get(rec))
	}
	dst = append(dst, id...)
	return appendBack(dst, len(id))
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
	_, id := splitKey(key)
	return id
}

// ComponentsOf returns the component part of an entry key.
func ComponentsOf(key string) string {
	comps, _ := splitKey(key)
	return comps
}

// splitKey returns the component part and the encoded id of an entry key,
// reading the trailing id length once.
func splitKey(key string) (comps, id string) {
	l, sz := readBackString(key, len(key))
	end := len(key) - sz
	return key[:end-l], key[end-l : end]
}
