package jsontext

import "strings"

// StringEnd returns the index of the quote that closes the JSON string
// whose contents start at i (just after its opening quote), or -1. It
// trusts the text to be valid JSON and jumps from quote to quote with
// IndexByte, so long strings cost little.
func StringEnd(js string, i int) int {
	for {
		j := strings.IndexByte(js[i:], '"')
		if j < 0 {
			return -1
		}
		q := i + j
		bs := 0
		for k := q - 1; k >= i && js[k] == '\\'; k-- {
			bs++
		}
		if bs%2 == 0 {
			return q
		}
		i = q + 1
	}
}

// ShortStringEnd is StringEnd for a string expected to be short (a
// record's names and most of its values): its first shortString bytes are
// stepped over one at a time, where StringEnd's IndexByte costs a call and
// its setup per string; a longer string, or one with an escape, goes on
// with StringEnd.
func ShortStringEnd(js string, i int) int {
	end := min(len(js), i+shortString)
	for j := i; j < end; j++ {
		switch js[j] {
		case '"':
			return j
		case '\\':
			return StringEnd(js, i)
		}
	}
	return StringEnd(js, i)
}

// shortString is how many bytes ShortStringEnd looks at one by one.
const shortString = 16

// plainStringByte marks the bytes a JSON string may hold unescaped.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// ScanString checks the JSON string whose opening quote is at b[i] and
// returns the index after its closing quote. On an error it returns where
// it found it and why. Like encoding/json's Valid it does not check that
// the string is valid UTF-8.
func ScanString[T Text](b T, i int) (int, Kind) {
	i++
	for {
		// A byte at a time for a short string's worth (names, most
		// values), then eight at a time while none of them is a quote, a
		// backslash or a control character (a record's long values).
		short := min(len(b), i+shortString)
		for i < short && plainStringByte[b[i]] {
			i++
		}
		if i == short {
			for i+8 <= len(b) && !special8(load8(b, i)) {
				i += 8
			}
			for i < len(b) && plainStringByte[b[i]] {
				i++
			}
		}
		if i >= len(b) {
			return i, KindEnd
		}
		switch b[i] {
		case '"':
			return i + 1, KindOK
		case '\\':
			i++
			if i >= len(b) {
				return i, KindEnd
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if i+4 >= len(b) {
					return len(b), KindEnd
				}
				for k := i + 1; k < i+5; k++ {
					if !isHex(b[k]) {
						return i - 1, KindUnicodeEscape
					}
				}
				i += 5
			default:
				return i - 1, KindEscape
			}
		default: // a control character
			return i, KindControl
		}
	}
}

// load8 returns b[i:i+8] as a little-endian integer.
func load8[T Text](b T, i int) uint64 {
	_ = b[i+7]
	return uint64(b[i]) | uint64(b[i+1])<<8 | uint64(b[i+2])<<16 | uint64(b[i+3])<<24 |
		uint64(b[i+4])<<32 | uint64(b[i+5])<<40 | uint64(b[i+6])<<48 | uint64(b[i+7])<<56
}

// special8 reports whether any byte of w is a quote, a backslash or below
// 0x20: the bytes a string cannot hold as they are. Each test is exact for
// "any byte" (Hacker's Delight's has-zero-byte and has-byte-less-than,
// for n <= 128).
func special8(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	less := (w - ones*0x20) &^ w & highs
	return less|hasZero(w^(ones*'"'))|hasZero(w^(ones*'\\')) != 0
}

// hasZero is non-zero exactly when some byte of v is zero.
func hasZero(v uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	return (v - ones) &^ v & highs
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
