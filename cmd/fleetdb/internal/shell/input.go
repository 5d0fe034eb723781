package shell

import (
	"slices"
	"strings"

	"github.com/fleetdb-go/fleetdb/internal/jsontext"
	"github.com/fleetdb-go/fleetdb/query"
)

// splitter cuts the shell's input into statements. A statement is
//   - a query: JSON that starts with '[' (or '{'), complete when its
//     brackets balance (brackets inside strings do not count); it may span
//     lines, and several may share a line;
//   - a dot-command (".indexes people") or a bare word ("quit"): the rest of
//     its line, and the next lines too while brackets are open, so that
//     ".explain" takes a query over several lines;
//   - a comment: a line starting with '#' or "--" outside a statement.
type splitter struct {
	cur   strings.Builder
	nest  jsontext.Nesting
	json  bool // the statement started with a bracket
	line  int  // input line where the statement started
	lines int  // lines fed
}

// pending reports whether a statement is started and not complete.
func (s *splitter) pending() bool { return s.cur.Len() > 0 }

// text returns the pending statement's text.
func (s *splitter) text() string { return s.cur.String() }

// reset drops the pending statement.
func (s *splitter) reset() {
	s.cur.Reset()
	s.nest, s.json = jsontext.Nesting{}, false
}

// stmt is a complete statement and the input line it started on.
type stmt struct {
	text string
	line int
}

// feed adds one line of input and returns the statements it completes.
func (s *splitter) feed(line string) []stmt {
	s.lines++
	var out []stmt
	i := 0
	if s.pending() {
		s.cur.WriteByte('\n')
	}
	for i < len(line) {
		if !s.pending() {
			i = jsontext.SkipSpace(line, i)
			if i == len(line) {
				break
			}
			rest := line[i:]
			if rest[0] == '#' || strings.HasPrefix(rest, "--") {
				break // a comment to the end of the line
			}
			s.json = rest[0] == '[' || rest[0] == '{'
			s.line = s.lines
		}
		c := line[i]
		s.cur.WriteByte(c)
		i++
		if s.nest.Step(c) == jsontext.Close && s.json && s.nest.Depth <= 0 {
			out = append(out, stmt{strings.TrimSpace(s.cur.String()), s.line})
			s.reset()
		}
	}
	if s.pending() && !s.json && s.nest.Depth <= 0 && !s.nest.InString {
		out = append(out, stmt{strings.TrimSpace(s.cur.String()), s.line})
		s.reset()
	}
	return out
}

// queryNames are the names of the queries (query.Names), sorted, for
// completion and .help.
var queryNames = slices.Sorted(slices.Values(query.Names()))

// completionKind is what the word being typed is.
type completionKind int

const (
	completeNothing    completionKind = iota
	completeQueryName                 // the first string of an array
	completeCollection                // the second string of a query on a collection
	completeDotCommand                // ".ind"
	completeBareColl                  // ".indexes peo": a collection name without quotes
)

// completionContext looks at the text before the cursor (the pending
// statement's lines, then the current line up to the cursor) and returns
// what is being typed and its beginning.
func completionContext(before string) (completionKind, string) {
	trimmed := strings.TrimLeft(before, " \t\n")
	if strings.HasPrefix(trimmed, ".") {
		fields := strings.Fields(trimmed)
		switch {
		case len(fields) == 1 && !strings.HasSuffix(trimmed, " "):
			return completeDotCommand, fields[0]
		case fields[0] == ".indexes" && len(fields) <= 2 && !strings.ContainsAny(trimmed[len(".indexes"):], `["`):
			if len(fields) == 1 {
				return completeBareColl, ""
			}
			if !strings.HasSuffix(trimmed, " ") {
				return completeBareColl, fields[1]
			}
			return completeNothing, ""
		case fields[0] == ".explain":
			trimmed = strings.TrimPrefix(trimmed, ".explain")
		default:
			return completeNothing, ""
		}
	}
	// Walk the JSON with a stack of the open arrays and objects: which
	// arrays are queries (the top one, and those a multi-read, multi-write,
	// explain or checked-write holds), their element index and first
	// element.
	const (
		other = iota
		aQuery
		queryList
	)
	type frame struct {
		array bool
		kind  int
		index int
		first string
	}
	var stack []frame
	var nest jsontext.Nesting
	strStart := 0
	for i := 0; i < len(trimmed); i++ {
		c := trimmed[i]
		switch nest.Step(c) {
		case jsontext.Quote:
			if nest.InString {
				strStart = i
			} else if n := len(stack); n > 0 && stack[n-1].array && stack[n-1].index == 0 {
				stack[n-1].first = trimmed[strStart+1 : i]
			}
		case jsontext.Open:
			if c == '{' {
				stack = append(stack, frame{})
				continue
			}
			kind := other
			if len(stack) == 0 {
				kind = aQuery
			} else if p := stack[len(stack)-1]; p.kind == queryList {
				kind = aQuery
			} else if p.kind == aQuery {
				switch {
				case (p.first == "multi-read" || p.first == "multi-write") && p.index == 1:
					kind = queryList
				case p.first == "explain" && p.index == 1, p.first == "checked-write" && (p.index == 1 || p.index == 3):
					kind = aQuery
				}
			}
			stack = append(stack, frame{array: true, kind: kind})
		case jsontext.Close:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case jsontext.Other:
			if c == ',' && len(stack) > 0 {
				stack[len(stack)-1].index++
			}
		}
	}
	if !nest.InString || len(stack) == 0 || stack[len(stack)-1].kind != aQuery {
		return completeNothing, ""
	}
	word := trimmed[strStart+1:]
	top := stack[len(stack)-1]
	switch {
	case top.index == 0:
		return completeQueryName, word
	case top.index == 1 && query.TakesCollection(top.first):
		return completeCollection, word
	}
	return completeNothing, ""
}

// completeWord returns the completions of word among names: the text to
// insert after it (the common part of the candidates) and the candidates.
func completeWord(word string, names []string) (insert string, candidates []string) {
	for _, n := range names {
		if strings.HasPrefix(n, word) {
			candidates = append(candidates, n)
		}
	}
	if len(candidates) == 0 {
		return "", nil
	}
	common := candidates[0]
	for _, c := range candidates[1:] {
		for !strings.HasPrefix(c, common) {
			common = common[:len(common)-1]
		}
	}
	return common[len(word):], candidates
}
