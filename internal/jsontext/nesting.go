package jsontext

// Nesting follows JSON text a byte at a time: whether it is inside a
// string, and how many arrays and objects are open. Its zero value is at
// the top level, outside strings. It does not validate: an unbalanced
// closing bracket makes Depth negative.
type Nesting struct {
	Depth    int  // arrays and objects open
	InString bool // inside a string (its quotes included: after the opening one, before the closing one)
	escaped  bool // after a backslash in a string
}

// Token is what a byte was to a Nesting.
type Token uint8

// The tokens Step returns.
const (
	Other   Token = iota // a byte outside strings that is not a bracket or quote
	Content              // a byte inside a string, escapes included
	Quote                // a quote that opens or closes a string (InString tells which)
	Open                 // '[' or '{' outside strings
	Close                // ']' or '}' outside strings
)

// Step moves past c and says what it was.
func (n *Nesting) Step(c byte) Token {
	if n.InString {
		switch {
		case n.escaped:
			n.escaped = false
		case c == '\\':
			n.escaped = true
		case c == '"':
			n.InString = false
			return Quote
		}
		return Content
	}
	switch c {
	case '"':
		n.InString = true
		return Quote
	case '[', '{':
		n.Depth++
		return Open
	case ']', '}':
		n.Depth--
		return Close
	}
	return Other
}
