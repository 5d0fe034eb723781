package jsontext

import (
	"fmt"
	"strconv"
)

// MaxDepth is the deepest nesting of arrays and objects Valid accepts: the
// same limit as encoding/json, so that a value accepted here can be
// decoded there.
const MaxDepth = 10000

// Kind says what is wrong with a JSON text (KindOK: nothing).
type Kind uint8

// The kinds of syntax errors.
const (
	KindOK            Kind = iota
	KindEnd                // the text ends inside a value
	KindUnexpected         // a byte that cannot start a value
	KindKey                // an object member does not start with a string
	KindColon              // no ':' after a key
	KindObjectComma        // no ',' or '}' after a member
	KindArrayComma         // no ',' or ']' after an element
	KindLiteral            // not true, false or null
	KindNumber             // a malformed number
	KindEscape             // a bad escape in a string
	KindUnicodeEscape      // a bad \u escape
	KindControl            // a control character in a string
	KindDepth              // nested deeper than allowed
	KindTrailing           // text after the value
)

var kindText = [...]string{
	KindOK:            "ok",
	KindEnd:           "unexpected end",
	KindUnexpected:    "unexpected character",
	KindKey:           "want a key",
	KindColon:         "want ':'",
	KindObjectComma:   "want ',' or '}'",
	KindArrayComma:    "want ',' or ']'",
	KindLiteral:       "bad literal",
	KindNumber:        "bad number",
	KindEscape:        "bad escape",
	KindUnicodeEscape: "bad \\u escape",
	KindControl:       "control character in a string",
	KindDepth:         "nested too deep",
	KindTrailing:      "text after the value",
}

func (k Kind) String() string {
	if int(k) < len(kindText) {
		return kindText[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// SyntaxError is a text that is not one JSON value: what is wrong, and the
// byte offset where it was found (the length of the text for KindEnd).
type SyntaxError struct {
	Offset   int
	Kind     Kind
	MaxDepth int // the limit, for KindDepth
}

func (e *SyntaxError) Error() string {
	switch e.Kind {
	case KindEnd:
		return "invalid JSON: unexpected end"
	case KindDepth:
		return fmt.Sprintf("nested deeper than %d (at byte %d)", e.MaxDepth, e.Offset+1)
	}
	return fmt.Sprintf("invalid JSON: %s (at byte %d)", e.Kind, e.Offset+1)
}

// Valid reports whether b is exactly one JSON value, optionally surrounded
// by white space, nested at most MaxDepth deep. It accepts the same inputs
// as json.Valid (FuzzValid checks this) at several times its speed,
// without allocating for values nested less than 64 deep. Like json.Valid
// it does not check that strings are valid UTF-8.
func Valid(b []byte) bool {
	_, k := check(b, MaxDepth)
	return k == KindOK
}

// Check is Valid with a depth limit of its own, and an error that says
// where and why: nil or a *SyntaxError. An array or object open inside
// maxDepth others is too deep, empty or not.
func Check(b []byte, maxDepth int) error {
	at, k := check(b, maxDepth)
	if k == KindOK {
		return nil
	}
	return &SyntaxError{Offset: at, Kind: k, MaxDepth: maxDepth}
}

// check is Valid and Check: where the text stops being one JSON value, and
// why.
func check(b []byte, maxDepth int) (int, Kind) {
	var stackBuf [64]byte
	stack := stackBuf[:0] // '[' or '{' for each open container
	var k Kind
	i := 0
	for {
		// Expect a value at i.
		i = SkipSpace(b, i)
		if i >= len(b) {
			return i, KindEnd
		}
		switch c := b[i]; c {
		case '{', '[':
			if len(stack) >= maxDepth {
				return i, KindDepth
			}
			i = SkipSpace(b, i+1)
			if i < len(b) && b[i] == c+2 { // '}' or ']'
				i++
				k = KindOK
				break
			}
			stack = append(stack, c)
			if c == '{' {
				if i, k = objectKey(b, i); k != KindOK {
					return i, k
				}
			}
			continue
		case '"':
			i, k = ScanString(b, i)
		case 't':
			i, k = scanLiteral(b, i, "true")
		case 'f':
			i, k = scanLiteral(b, i, "false")
		case 'n':
			i, k = scanLiteral(b, i, "null")
		default:
			if c != '-' && (c < '0' || c > '9') {
				return i, KindUnexpected
			}
			i, k = ScanNumber(b, i)
		}
		if k != KindOK {
			return i, k
		}
		// After a value: close containers until one continues with ','.
		for {
			i = SkipSpace(b, i)
			if len(stack) == 0 {
				if i == len(b) {
					return i, KindOK
				}
				return i, KindTrailing
			}
			if i >= len(b) {
				return i, KindEnd
			}
			top := stack[len(stack)-1]
			if b[i] == ',' {
				i++
				if top == '{' {
					if i, k = objectKey(b, SkipSpace(b, i)); k != KindOK {
						return i, k
					}
				}
				break
			}
			if b[i] != top+2 {
				if top == '{' {
					return i, KindObjectComma
				}
				return i, KindArrayComma
			}
			stack = stack[:len(stack)-1]
			i++
		}
	}
}

// objectKey scans `"key" :` starting at b[i] and returns the index after
// the colon.
func objectKey(b []byte, i int) (int, Kind) {
	if i >= len(b) {
		return i, KindEnd
	}
	if b[i] != '"' {
		return i, KindKey
	}
	i, k := ScanString(b, i)
	if k != KindOK {
		return i, k
	}
	i = SkipSpace(b, i)
	if i >= len(b) {
		return i, KindEnd
	}
	if b[i] != ':' {
		return i, KindColon
	}
	return i + 1, KindOK
}

func scanLiteral(b []byte, i int, lit string) (int, Kind) {
	if len(b)-i < len(lit) {
		if string(b[i:]) == lit[:len(b)-i] {
			return len(b), KindEnd
		}
		return i, KindLiteral
	}
	if string(b[i:i+len(lit)]) != lit {
		return i, KindLiteral
	}
	return i + len(lit), KindOK
}

// ScanNumber checks the number -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// at b[i] and returns the index after it. A number that stops before it
// is complete is KindNumber at its start (KindEnd at the end of b).
func ScanNumber[T Text](b T, i int) (int, Kind) {
	start := i
	bad := func(j int) (int, Kind) {
		if j >= len(b) {
			return j, KindEnd
		}
		return start, KindNumber
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = skipDigits(b, i+1)
	default:
		return bad(i)
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return bad(j)
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return bad(j)
		}
		i = j
	}
	return i, KindOK
}

func skipDigits[T Text](b T, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}
