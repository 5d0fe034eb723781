package query

import (
	"strings"

	"github.com/fleetdb-go/fleetdb/index"
	"github.com/fleetdb-go/fleetdb/internal/jsontext"
	"github.com/tidwall/gjson"
)

// oneInsertHead is how every request parseOneInsert takes begins.
const oneInsertHead = `["insert","`

// parseOneInsert is the parse of the commonest writes, an insert of one
// record (["insert","coll",{...}]) or of an array of them (a bulk load's
// batch), without gjson's walk of the request array, the parser table and
// the arity check, which were 6 % of the server's CPU per pipelined insert
// (pprof of `fleetdb bench --type insert --pipeline 32`). req must be
// well-formed (wellFormed). Each record goes through parseRecordJSON's
// checks as in parseInsert, so the answers are the same, and is compacted
// only if the walk that found its end met white space. It reports false for anything
// else, whitespace included only where clients put none, a collection name
// with escapes, more elements, an empty array or a record that parseInsert
// refuses: Parse then takes the general way, which says what is wrong.
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
	if i+1 >= len(req) || req[i] != ',' {
		return nil, false
	}
	i++
	var recs []Record
	switch req[i] {
	case '{':
		rec, id, end, ok := recordAt(req, i)
		if !ok {
			return nil, false
		}
		rec.ID = index.EncodeValue(id)
		recs, i = []Record{rec}, end
	case '[':
		if recs, i = parseRecordArray(req, i); recs == nil {
			return nil, false
		}
	default:
		return nil, false
	}
	if strings.TrimRight(req[i:], " \t\r\n") != "]" {
		return nil, false
	}
	return Insert{Coll: coll, Records: recs}, true
}

// parseRecordArray parses the array of records that starts at req[i] in
// well-formed text, written without white space between its elements, and
// returns them with the index after the array; nil if it is empty or
// anything in it is not a record that parseRecords accepts.
func parseRecordArray(req string, i int) ([]Record, int) {
	var (
		recs []Record
		ids  idBatch
	)
	for i++; ; { // past '[', then past each ','
		rec, id, end, ok := recordAt(req, i)
		if !ok || end >= len(req) {
			return nil, i
		}
		ids.add(id)
		recs = append(recs, rec)
		switch req[end] {
		case ',':
			i = end + 1
		case ']':
			ids.assign(recs)
			return recs, end + 1
		default:
			return nil, end
		}
	}
}

// recordAt checks the record whose text starts at req[i] in well-formed
// text as an insert's records are checked (checkRecord), compacted only
// when the walk that found its end (objectEnd) met white space, and
// returns it without its ID, its id attribute and the index after it.
func recordAt(req string, i int) (rec Record, id gjson.Result, end int, ok bool) {
	if i >= len(req) || req[i] != '{' {
		return rec, id, i, false
	}
	end, spaced := objectEnd(req, i)
	if end < 0 {
		return rec, id, i, false
	}
	rec, id, err := checkRecord("insert", gjson.Result{Type: gjson.JSON, Raw: req[i:end]})
	if err != nil {
		return rec, id, i, false
	}
	if spaced {
		rec.JSON = jsontext.Compact(rec.JSON)
	}
	return rec, id, end, true
}

// objectEnd returns the index after the object or array that starts at
// js[i] in valid JSON text, or -1; and whether it met white space outside
// strings on the way. Bytes that matter to it are found with a table, and
// a string's end with jsontext.ShortStringEnd (strings in records are
// short: StringEnd's IndexByte, a call per string, was 60 % of the walk).
func objectEnd(js string, i int) (int, bool) {
	depth := 0
	spaced := false
	for j := i; j < len(js); j++ {
		c := js[j]
		if !walkStop[c] {
			continue
		}
		switch c {
		case '"':
			if j = jsontext.ShortStringEnd(js, j+1); j < 0 {
				return -1, spaced
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return j + 1, spaced
			}
		default: // white space
			spaced = true
		}
	}
	return -1, spaced
}

// walkStop marks the bytes objectEnd stops at.
var walkStop = func() (t [256]bool) {
	for _, c := range "\"{}[] \t\r\n" {
		t[c] = true
	}
	return t
}()
