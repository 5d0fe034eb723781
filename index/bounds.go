package index

// Bound is one end of a range condition on an index component: the encoded
// value and whether the end is included.
type Bound struct {
	Enc       string
	Inclusive bool
}

// PrefixRange returns the byte range [from, to) of the keys that start with
// the components prefix p. Every byte that can follow a complete component
// is below 0xFF (tags are 0x01..0x07, complemented 0xF8..0xFE), so p+0xFF is
// an exclusive upper bound.
func PrefixRange(p []byte) (from, to string) {
	return string(p), string(append(p[:len(p):len(p)], 0xFF))
}

// ComponentRange returns the byte range [from, to) of the keys that start
// with the components prefix p and whose next component c holds a value of
// class cl between lo and hi (nil = open on that side, within the class).
//
// For a complete encoding x, the keys whose component equals x lie in
// [p+x, p+x+0xFF), because the byte after a complete component is a tag
// (never 0xFF). A class is the set of encodings whose first byte is in
// [ClassStart, ClassEnd). A descending component stores the complement, which
// reverses the order: the value's upper bound becomes the lower byte bound.
func ComponentRange(p []byte, c Component, cl Class, lo, hi *Bound) (from, to string) {
	ts, te := ClassStart(cl)[0], ClassEnd(cl)[0]
	base := p[:len(p):len(p)]
	if !c.Desc {
		switch {
		case lo == nil:
			from = string(append(base, ts))
		case lo.Inclusive:
			from = string(append(base, lo.Enc...))
		default:
			from = string(append(append(base, lo.Enc...), 0xFF))
		}
		switch {
		case hi == nil:
			to = string(append(base, te))
		case hi.Inclusive:
			to = string(append(append(base, hi.Enc...), 0xFF))
		default:
			to = string(append(base, hi.Enc...))
		}
		return from, to
	}
	switch {
	case hi == nil:
		from = string(append(base, ^te+1))
	case hi.Inclusive:
		from = string(appendComplement(base, hi.Enc))
	default:
		from = string(append(appendComplement(base, hi.Enc), 0xFF))
	}
	switch {
	case lo == nil:
		to = string(append(base, ^ts+1))
	case lo.Inclusive:
		to = string(append(appendComplement(base, lo.Enc), 0xFF))
	default:
		to = string(appendComplement(base, lo.Enc))
	}
	return from, to
}

func appendComplement(dst []byte, enc string) []byte {
	start := len(dst)
	dst = append(dst, enc...)
	Complement(dst[start:])
	return dst
}
