package jsontext

// Text is JSON text: a string or a byte slice.
type Text interface{ ~string | ~[]byte }

// IsSpace reports whether c is JSON white space: space, tab, CR or LF.
func IsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// SkipSpace returns the index of the first byte at or after i that is not
// JSON white space (len(b) if there is none).
func SkipSpace[T Text](b T, i int) int {
	for i < len(b) && IsSpace(b[i]) {
		i++
	}
	return i
}

// TrimSpace returns b without JSON white space at either end.
func TrimSpace[T Text](b T) T {
	i, j := 0, len(b)
	for i < j && IsSpace(b[i]) {
		i++
	}
	for j > i && IsSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}
