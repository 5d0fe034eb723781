package index

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Type tags of the order-preserving encoding. Their numeric order is the
// order of type classes in docs/query-language.md: null < false < true < numbers < strings
// < arrays < objects. Tag 0 is reserved for terminators, so that a shorter
// array or object sorts before a longer one that it prefixes.
const (
	tagEnd    byte = 0x00
	tagNull   byte = 0x01
	tagFalse  byte = 0x02
	tagTrue   byte = 0x03
	tagNumber byte = 0x04
	tagString byte = 0x05
	tagArray  byte = 0x06
	tagObject byte = 0x07
)

// Class is the type class of a value, used by range conditions, which
// compare only within one class (docs/query-language.md).
type Class uint8

// The classes, in the order of docs/query-language.md. ClassMissing is a missing attribute,
// which orders and compares like null.
const (
	ClassNull Class = iota
	ClassBool
	ClassNumber
	ClassString
	ClassArray
	ClassObject
)

// ClassOf returns the type class of r; a missing value is ClassNull.
func ClassOf(r gjson.Result) Class {
	switch r.Type {
	case gjson.False, gjson.True:
		return ClassBool
	case gjson.Number:
		return ClassNumber
	case gjson.String:
		return ClassString
	case gjson.JSON:
		if strings.HasPrefix(r.Raw, "[") {
			return ClassArray
		}
		return ClassObject
	}
	return ClassNull
}

// ClassStart and ClassEnd bound the encodings of one class: every encoding
// e of a value of class c has ClassStart(c) <= e < ClassEnd(c).
func ClassStart(c Class) string { return string([]byte{classTag(c)}) }

// ClassEnd is the exclusive upper bound of the encodings of class c.
func ClassEnd(c Class) string {
	if c == ClassBool {
		return string([]byte{tagTrue + 1})
	}
	return string([]byte{classTag(c) + 1})
}

func classTag(c Class) byte {
	switch c {
	case ClassBool:
		return tagFalse
	case ClassNumber:
		return tagNumber
	case ClassString:
		return tagString
	case ClassArray:
		return tagArray
	case ClassObject:
		return tagObject
	}
	return tagNull
}

// AppendValue appends the order-preserving, canonical encoding of r to dst.
// Two values are equal in the sense of docs/query-language.md (deep equality, numbers by
// value) exactly when their encodings are equal, and the byte order of
// encodings is the total order of values. The encoding is prefix-free: no
// encoding is a proper prefix of another, so encodings can be concatenated
// (compound keys) and complemented (descending components) safely.
// A missing value (r.Type == gjson.Null with empty Raw) encodes as null.
func AppendValue(dst []byte, r gjson.Result) []byte {
	switch r.Type {
	case gjson.Null:
		return append(dst, tagNull)
	case gjson.False:
		return append(dst, tagFalse)
	case gjson.True:
		return append(dst, tagTrue)
	case gjson.Number:
		return AppendNumber(dst, ParseNumber(r.Raw, r.Num))
	case gjson.String:
		return appendString(dst, r.Str)
	}
	raw := r.Raw
	if strings.HasPrefix(raw, "[") {
		dst = append(dst, tagArray)
		r.ForEach(func(_, v gjson.Result) bool {
			dst = AppendValue(dst, v)
			return true
		})
		return append(dst, tagEnd)
	}
	// Objects: keys sorted by their bytes; on duplicated keys the first
	// occurrence wins, as it does for attribute reads.
	type member struct {
		key string
		val gjson.Result
	}
	var members []member
	r.ForEach(func(k, v gjson.Result) bool {
		members = append(members, member{k.Str, v})
		return true
	})
	slices.SortStableFunc(members, func(a, b member) int { return strings.Compare(a.key, b.key) })
	dst = append(dst, tagObject)
	for i, m := range members {
		if i > 0 && members[i-1].key == m.key {
			continue
		}
		dst = appendString(dst, m.key)
		dst = AppendValue(dst, m.val)
	}
	return append(dst, tagEnd)
}

// EncodeValue returns the encoding of r as a string.
func EncodeValue(r gjson.Result) string {
	var buf [64]byte
	return string(AppendValue(buf[:0], r))
}

// EncodeJSON returns the encoding of the JSON text js, which must be valid.
func EncodeJSON(js string) string { return EncodeValue(gjson.Parse(js)) }

// AppendString appends the encoding of the JSON string whose unescaped
// contents are s (what AppendValue does for a string, without a
// gjson.Result, which would make s escape).
func AppendString(dst []byte, s string) []byte { return appendString(dst, s) }

// appendString writes tagString, the bytes with 0x00 escaped as 0x00 0xFF,
// and the terminator 0x00 0x01; that keeps byte order and makes the encoding
// prefix-free.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, tagString)
	for {
		i := strings.IndexByte(s, 0)
		if i < 0 {
			break
		}
		dst = append(dst, s[:i+1]...)
		dst = append(dst, 0xFF)
		s = s[i+1:]
	}
	dst = append(dst, s...)
	return append(dst, 0x00, 0x01)
}

// Number is a JSON number in canonical form: an exact int64 when its value is
// an integer within int64, otherwise an IEEE double (docs/query-language.md).
type Number struct {
	IsInt bool
	Int   int64
	Float float64
}

// ParseNumber canonicalizes the JSON number text raw; f is its value as a
// double (as gjson computed it). Integer text, with or without a zero
// fraction ("2", "2.0"), is read exactly; other integral values within
// int64 (e.g. "2e3") become integers too.
func ParseNumber(raw string, f float64) Number {
	if s, ok := integerText(raw); ok {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return Number{IsInt: true, Int: i}
		}
	}
	if f == math.Trunc(f) && f >= -9223372036854775808 && f < 9223372036854775808 {
		return Number{IsInt: true, Int: int64(f)}
	}
	return Number{Float: f}
}

// ParseNumberText canonicalizes the JSON number text raw, as ParseNumber
// does, computing the double itself only when raw is not integer text (a
// point read of an id then never parses a float).
func ParseNumberText(raw string) Number {
	if s, ok := integerText(raw); ok {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return Number{IsInt: true, Int: i}
		}
	}
	f, _ := strconv.ParseFloat(raw, 64) // as gjson computes Num
	return ParseNumber(raw, f)
}

// integerText reports whether raw is an integer written as digits with an
// optional all-zero fraction, and returns it without the fraction.
func integerText(raw string) (string, bool) {
	s := raw
	if strings.HasPrefix(s, "-") {
		s = s[1:]
	}
	if s == "" {
		return "", false
	}
	digits := 0
	for digits < len(s) && s[digits] >= '0' && s[digits] <= '9' {
		digits++
	}
	if digits == 0 {
		return "", false
	}
	rest := s[digits:]
	if rest == "" {
		return raw, true
	}
	if rest[0] != '.' || len(rest) == 1 {
		return "", false
	}
	for _, c := range rest[1:] {
		if c != '0' {
			return "", false
		}
	}
	return raw[:len(raw)-len(rest)], true
}

// AppendNumber appends the encoding of n: tagNumber, the double's bits in an
// order-preserving form with their trailing zero bytes dropped (0x00 inside
// escaped as 0x00 0xFF, as in strings), then 0x00 and the residual that
// orders integers whose doubles round to the same value (|residual| ≤ 512
// within int64): 0x01 for none, 0x00 or 0x02 and two bytes for a negative
// or positive one.
//
// Small integers and short fractions take few bytes (an id below 2^21 takes
// 6 where the fixed form took 11: tag, 8 bytes, 2 bytes of residual), and
// every key of a record holds its id. The order is that of the fixed form:
// where two doubles first differ, the smaller has a smaller byte, or has
// ended (0x00 0x00..0x02 sorts below any byte that goes on, and below an
// escaped 0x00 0xFF); equal doubles are ordered by residual. The encoding
// is self-delimiting, so no number's encoding is a prefix of another's.
func AppendNumber(dst []byte, n Number) []byte {
	bits, residual := orderedBits(n)
	dst = append(dst, tagNumber)
	for bits != 0 { // never zero to begin with: JSON has no NaN
		b := byte(bits >> 56)
		dst = append(dst, b)
		if b == 0 {
			dst = append(dst, 0xFF)
		}
		bits <<= 8
	}
	switch {
	case residual < 0:
		dst = append(dst, 0x00, 0x00)
	case residual == 0:
		return append(dst, 0x00, 0x01)
	default:
		dst = append(dst, 0x00, 0x02)
	}
	return binary.BigEndian.AppendUint16(dst, uint16(int16(residual))^0x8000)
}

// orderedBits returns n's double as bits whose unsigned order is the
// doubles' order, and the residual of an integer beyond the double.
func orderedBits(n Number) (bits uint64, residual int64) {
	f := n.Float
	if n.IsInt {
		f = float64(n.Int)
		residual = n.Int - floatToIntClamped(f)
	}
	if f == 0 {
		f = 0 // -0 == +0
	}
	bits = math.Float64bits(f)
	if bits>>63 == 0 {
		bits |= 1 << 63
	} else {
		bits = ^bits
	}
	return bits, residual
}

// floatToIntClamped converts an integral double to int64, clamping 2^63 (the
// double nearest to MaxInt64) to MaxInt64 and adjusting the caller's residual
// by treating 2^63 as MaxInt64+1.
func floatToIntClamped(f float64) int64 {
	if f >= 9223372036854775808 {
		// residual = i - 2^63 = (i - MaxInt64) - 1; return a value v with
		// i - v == i - 2^63, computed without overflow by the caller's
		// subtraction wrapping: MaxInt64 + 1 wraps to MinInt64, and
		// i - MinInt64 wraps to i - 2^63 exactly in two's complement.
		return math.MinInt64
	}
	return int64(f)
}

// Complement returns the bitwise complement of an encoding in place: the
// encoding of a descending index component.
func Complement(b []byte) {
	for i := range b {
		b[i] = ^b[i]
	}
}
