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
		for i < len(b) && plainStringByte[b[i]] {
			i++
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

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
