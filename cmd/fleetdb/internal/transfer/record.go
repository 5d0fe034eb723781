package transfer

import (
	"fmt"
	"math"
	"strconv"

	"github.com/fleetdb-go/fleetdb/query"
)

// maxRecordDepth is the deepest nesting a record may have so that an
// insert of it, ["insert", coll, [record]], stays within the server's
// limit on the nesting of a request.
const maxRecordDepth = query.MaxDepth - 2

// recordError says what is wrong with a line of import or restore.
type recordError struct {
	at  int // byte offset in the line
	msg string
}

func (e *recordError) Error() string {
	if e.at < 0 {
		return e.msg
	}
	return fmt.Sprintf("%s (at byte %d)", e.msg, e.at+1)
}

// checkRecord checks that line is a record the server will accept: one
// JSON object, nested at most maxRecordDepth deep, whose "id" is a number
// or a string. It returns where the id's JSON is in line. It checks
// everything the server would refuse in a record, so that a batch of
// checked records is refused only for a duplicated id (or if it is too
// large).
func checkRecord(line []byte) (id span, err error) {
	c := recordChecker{b: line, id: span{-1, -1}}
	i := c.space(0)
	if i >= len(line) || line[i] != '{' {
		return id, &recordError{at: -1, msg: "not a JSON object"}
	}
	if i, err = c.object(i, 1, true); err != nil {
		return id, err
	}
	if i = c.space(i); i != len(line) {
		return id, &recordError{at: i, msg: "text after the JSON object"}
	}
	id = c.id
	switch {
	case id.from < 0:
		return id, &recordError{at: -1, msg: `no "id" attribute`}
	case line[id.from] != '"' && line[id.from] != '-' && (line[id.from] < '0' || line[id.from] > '9'):
		return id, &recordError{at: -1, msg: fmt.Sprintf(`"id" is %s: it must be a number or a string`, line[id.from:id.to])}
	}
	return id, nil
}

type recordChecker struct {
	b  []byte
	id span // the value of the record's first "id" key; from < 0 if none
}

func (c *recordChecker) space(i int) int {
	for i < len(c.b) {
		switch c.b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

func (c *recordChecker) bad(i int, what string) error {
	if i >= len(c.b) {
		return &recordError{at: -1, msg: "invalid JSON: unexpected end of line"}
	}
	return &recordError{at: i, msg: "invalid JSON: " + what}
}

// value checks the value at b[i] (after white space), at depth.
func (c *recordChecker) value(i, depth int) (int, error) {
	i = c.space(i)
	if i >= len(c.b) {
		return i, c.bad(i, "")
	}
	switch ch := c.b[i]; {
	case ch == '{':
		return c.object(i, depth+1, false)
	case ch == '[':
		return c.array(i, depth+1)
	case ch == '"':
		return c.str(i)
	case ch == 't':
		return c.literal(i, "true")
	case ch == 'f':
		return c.literal(i, "false")
	case ch == 'n':
		return c.literal(i, "null")
	case ch == '-' || ch >= '0' && ch <= '9':
		return c.number(i)
	default:
		return i, c.bad(i, fmt.Sprintf("unexpected %q", ch))
	}
}

// object checks the object at b[i]; for the record itself (top) it notes
// where the value of its first "id" key is.
func (c *recordChecker) object(i, depth int, top bool) (int, error) {
	if depth > maxRecordDepth {
		return i, &recordError{at: i, msg: fmt.Sprintf("nested deeper than %d", maxRecordDepth)}
	}
	i = c.space(i + 1)
	if i < len(c.b) && c.b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(c.b) || c.b[i] != '"' {
			return i, c.bad(i, "want a key")
		}
		k := i
		var err error
		if i, err = c.str(i); err != nil {
			return i, err
		}
		key := c.b[k:i]
		i = c.space(i)
		if i >= len(c.b) || c.b[i] != ':' {
			return i, c.bad(i, "want ':'")
		}
		v := c.space(i + 1)
		if i, err = c.value(v, depth); err != nil {
			return i, err
		}
		if top && c.id.from < 0 && string(key) == `"id"` {
			c.id = span{v, i}
		}
		i = c.space(i)
		if i < len(c.b) && c.b[i] == '}' {
			return i + 1, nil
		}
		if i >= len(c.b) || c.b[i] != ',' {
			return i, c.bad(i, "want ',' or '}'")
		}
		i = c.space(i + 1)
	}
}

func (c *recordChecker) array(i, depth int) (int, error) {
	if depth > maxRecordDepth {
		return i, &recordError{at: i, msg: fmt.Sprintf("nested deeper than %d", maxRecordDepth)}
	}
	i = c.space(i + 1)
	if i < len(c.b) && c.b[i] == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i, err = c.value(i, depth); err != nil {
			return i, err
		}
		i = c.space(i)
		if i < len(c.b) && c.b[i] == ']' {
			return i + 1, nil
		}
		if i >= len(c.b) || c.b[i] != ',' {
			return i, c.bad(i, "want ',' or ']'")
		}
		i++
	}
}

// str checks the string whose quote is at b[i].
func (c *recordChecker) str(i int) (int, error) {
	start := i
	i++
	for i < len(c.b) {
		ch := c.b[i]
		switch {
		case ch == '"':
			return i + 1, nil
		case ch == '\\':
			if i+1 >= len(c.b) {
				return i, c.bad(len(c.b), "")
			}
			switch c.b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+5 >= len(c.b) {
					return i, c.bad(len(c.b), "")
				}
				for _, h := range c.b[i+2 : i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return i, c.bad(i, "bad \\u escape")
					}
				}
				i += 6
			default:
				return i, c.bad(i, "bad escape")
			}
		case ch < 0x20:
			return i, c.bad(i, "control character in a string")
		default:
			i++
		}
	}
	return start, c.bad(len(c.b), "")
}

func (c *recordChecker) literal(i int, lit string) (int, error) {
	if len(c.b)-i < len(lit) || string(c.b[i:i+len(lit)]) != lit {
		return i, c.bad(i, "bad literal")
	}
	return i + len(lit), nil
}

// number checks -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at b[i].
func (c *recordChecker) number(i int) (int, error) {
	start := i
	digits := func(i int) int {
		for i < len(c.b) && c.b[i] >= '0' && c.b[i] <= '9' {
			i++
		}
		return i
	}
	if c.b[i] == '-' {
		i++
	}
	switch {
	case i < len(c.b) && c.b[i] == '0':
		i++
	case i < len(c.b) && c.b[i] >= '1' && c.b[i] <= '9':
		i = digits(i + 1)
	default:
		return i, c.bad(start, "bad number")
	}
	if i < len(c.b) && c.b[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return i, c.bad(start, "bad number")
		}
		i = j
	}
	if i < len(c.b) && (c.b[i] == 'e' || c.b[i] == 'E') {
		i++
		if i < len(c.b) && (c.b[i] == '+' || c.b[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return i, c.bad(start, "bad number")
		}
		i = j
	}
	return i, nil
}

// idKey returns a key equal for ids the server takes as the same: strings
// by their JSON text, numbers by value (1 and 1.0 are one id).
func idKey(id []byte) string {
	if id[0] == '"' {
		return string(id)
	}
	if n, err := strconv.ParseInt(string(id), 10, 64); err == nil {
		return strconv.FormatInt(n, 10)
	}
	f, err := strconv.ParseFloat(string(id), 64)
	if err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		return strconv.FormatInt(int64(f), 10)
	}
	return "f" + strconv.FormatFloat(f, 'g', -1, 64)
}
