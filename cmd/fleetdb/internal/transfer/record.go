package transfer

import (
	"fmt"
	"math"
	"strconv"

	"github.com/fleetdb-go/fleetdb/internal/jsontext"
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
	id = span{-1, -1}
	i := jsontext.SkipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return id, &recordError{at: -1, msg: "not a JSON object"}
	}
	if err := jsontext.Check(line, maxRecordDepth); err != nil {
		se := err.(*jsontext.SyntaxError)
		switch se.Kind {
		case jsontext.KindEnd:
			return id, &recordError{at: -1, msg: "invalid JSON: unexpected end of line"}
		case jsontext.KindDepth:
			return id, &recordError{at: se.Offset, msg: fmt.Sprintf("nested deeper than %d", maxRecordDepth)}
		case jsontext.KindTrailing:
			return id, &recordError{at: se.Offset, msg: "text after the JSON object"}
		}
		return id, &recordError{at: se.Offset, msg: "invalid JSON: " + se.Kind.String()}
	}
	id = firstID(line, i)
	switch {
	case id.from < 0:
		return id, &recordError{at: -1, msg: `no "id" attribute`}
	case line[id.from] != '"' && line[id.from] != '-' && (line[id.from] < '0' || line[id.from] > '9'):
		return id, &recordError{at: -1, msg: fmt.Sprintf(`"id" is %s: it must be a number or a string`, line[id.from:id.to])}
	}
	return id, nil
}

// firstID returns where the value of the first "id" key of the valid JSON
// object at line[i] is, or from < 0.
func firstID(line []byte, i int) span {
	i = jsontext.SkipSpace(line, i+1)
	for i < len(line) && line[i] == '"' {
		k := i
		i = jsontext.ValueEnd(line, k)
		key := line[k:i]
		v := jsontext.SkipSpace(line, jsontext.SkipSpace(line, i)+1) // after the ':'
		i = jsontext.ValueEnd(line, v)
		if string(key) == `"id"` {
			return span{v, i}
		}
		i = jsontext.SkipSpace(line, i)
		if i < len(line) && line[i] == ',' {
			i = jsontext.SkipSpace(line, i+1)
		}
	}
	return span{-1, -1}
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
