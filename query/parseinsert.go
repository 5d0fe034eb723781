package query

import (
	"strings"

	"github.com/fleetdb-go/fleetdb/internal/jsontext"
	"github.com/tidwall/gjson"
)

// oneInsertHead is how every request parseOneInsert takes begins.
const oneInsertHead = `["insert","`

// parseOneInsert is the parse of the commonest write, an insert of one
// record (["insert","coll",{...}]), without gjson's walk of the request
// array, the parser table and the arity check, which were 6 % of the
// server's CPU per pipelined insert (pprof of `fleetdb bench --type insert
// --pipeline 32`). req must be well-formed (wellFormed). The record goes
// through parseRecord as in parseInsert, so the answers are the same. It
// reports false for anything else, whitespace included only where clients
// put none, a collection name with escapes, or more elements: Parse then
// takes the general way, which says what is wrong.
func parseOneInsert(req string) (Query, bool) {
	if !strings.HasPrefix(req, oneInsertHead) {
		return nil, false
	}
	i := len(oneInsertHead)
	end := jsontext.StringEnd(req, i)
	if end <= i || strings.IndexByte(req[i:end], '\\') >= 0 {
		return nil, false
	}
	coll := req[i:end]
	i = end + 1
	if i+1 >= len(req) || req[i] != ',' || req[i+1] != '{' {
		return nil, false
	}
	i++
	objEnd := objectEnd(req, i)
	if objEnd < 0 || strings.TrimRight(req[objEnd:], " \t\r\n") != "]" {
		return nil, false
	}
	rec, err := parseRecord("insert", gjson.Result{Type: gjson.JSON, Raw: req[i:objEnd]})
	if err != nil {
		return nil, false
	}
	return Insert{Coll: coll, Records: []Record{rec}}, true
}

// objectEnd returns the index after the object or array that starts at
// js[i] in valid JSON text, jumping over strings with StringEnd, or -1.
func objectEnd(js string, i int) int {
	depth := 0
	for j := i; j < len(js); j++ {
		switch js[j] {
		case '"':
			if j = jsontext.StringEnd(js, j+1); j < 0 {
				return -1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return j + 1
			}
		}
	}
	return -1
}
