package server

import "github.com/fleetdb-go/fleetdb/query"

// queryNames are the names of the queries of SPEC §4: the values of the
// "query" label of the per-query metrics, which must stay a bounded set.
// Any other first element (unknown names, malformed requests) is counted as
// "other", the last entry. The order is the index used by Metrics.
var queryNames = [...]string{
	"ping", "info", "select", "count", "explain", "list-collections",
	"list-indexes", "multi-read", "insert", "put", "update", "delete",
	"create-index", "drop-index", "drop-collection", "clear", "multi-write",
	"checked-write", "compact", "call", "auth",
	"set-read-consistency", "cluster-join", "cluster-remove",
	"other",
}

const (
	nameFirstWrite         = 8 // insert; the writes run to compact (18)
	nameCall               = 19
	nameAuth               = 20
	nameSetReadConsistency = 21
	nameOther              = len(queryNames) - 1
	numNames               = len(queryNames)
)

// nameIndexOf returns the index of a query name in queryNames, or nameOther.
func nameIndexOf(name string) int {
	switch name {
	case "ping":
		return 0
	case "info":
		return 1
	case "select":
		return 2
	case "count":
		return 3
	case "explain":
		return 4
	case "list-collections":
		return 5
	case "list-indexes":
		return 6
	case "multi-read":
		return 7
	case "insert":
		return 8
	case "put":
		return 9
	case "update":
		return 10
	case "delete":
		return 11
	case "create-index":
		return 12
	case "drop-index":
		return 13
	case "drop-collection":
		return 14
	case "clear":
		return 15
	case "multi-write":
		return 16
	case "checked-write":
		return 17
	case "compact":
		return 18
	case "call":
		return 19
	case "auth":
		return nameAuth
	case "set-read-consistency":
		return nameSetReadConsistency
	case "cluster-join":
		return 22
	case "cluster-remove":
		return 23
	}
	return nameOther
}

// queryIndex names the query on a request line without parsing it: it reads
// the first element of the array when that is a plain string. A name written
// with escapes ("\u0061uth") is rare enough to be found by parsing the line;
// anything that is not an array starting with a string is nameOther.
func queryIndex(line []byte) int {
	i := skipSpace(line, 0)
	if i >= len(line) || line[i] != '[' {
		return nameOther
	}
	i = skipSpace(line, i+1)
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

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// blank reports whether a line holds only spaces, tabs and carriage
// returns: such lines are ignored without an answer.
func blank(line []byte) bool { return skipSpace(line, 0) == len(line) }
