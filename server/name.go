package server

import (
	"github.com/fleetdb-go/fleetdb/internal/jsontext"
	"github.com/fleetdb-go/fleetdb/query"
)

// queryNames are the names of the queries (query.Names) and "other": the
// values of the "query" label of the per-query metrics, which must stay a
// bounded set. Any other first element (unknown names, malformed requests)
// is counted as "other", the last entry. The order is the index used by
// Metrics.
var queryNames = append(query.Names(), "other")

const (
	nameOther = query.NumNames
	numNames  = query.NumNames + 1
)

// The queries the connection answers itself, and call.
var (
	nameAuth               = query.NameIndex("auth")
	nameSetReadConsistency = query.NameIndex("set-read-consistency")
	nameCall               = query.NameIndex("call")
)

// nameWrites[i] reports whether query i of queryNames writes.
var nameWrites = func() (w [numNames]bool) {
	for i, n := range queryNames {
		w[i] = query.Writes(n)
	}
	return w
}()

// nameIndexOf returns the index of a query name in queryNames, or nameOther.
func nameIndexOf(name string) int {
	if i := query.NameIndex(name); i >= 0 {
		return i
	}
	return nameOther
}

// queryIndex names the query on a request line without parsing it: it reads
// the first element of the array when that is a plain string. A name written
// with escapes ("\u0061uth") is rare enough to be found by parsing the line;
// anything that is not an array starting with a string is nameOther.
func queryIndex(line []byte) int {
	i := jsontext.SkipSpace(line, 0)
	if i >= len(line) || line[i] != '[' {
		return nameOther
	}
	i = jsontext.SkipSpace(line, i+1)
	if i >= len(line) || line[i] != '"' {
		return nameOther
	}
	start := i + 1
	for j := start; j < len(line); j++ {
		switch line[j] {
		case '"':
			return nameIndexOf(string(line[start:j]))
		case '\\':
			q, err := query.Parse(line)
			if err != nil {
				return nameOther
			}
			return nameIndexOf(q.Name())
		}
	}
	return nameOther
}

// blank reports whether a line holds only spaces, tabs and carriage
// returns: such lines are ignored without an answer.
func blank(line []byte) bool { return jsontext.SkipSpace(line, 0) == len(line) }
