package query

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/fleetdb-go/fleetdb/collection"
	"github.com/fleetdb-go/fleetdb/index"
	"github.com/fleetdb-go/fleetdb/internal/jsontext"
	"github.com/tidwall/gjson"
)

// MaxDepth is the deepest nesting of arrays and objects accepted in a
// request (records, conditions, nested multi-write). Deeper requests are a
// Malformed query.
const MaxDepth = 64

// Parse parses one request (a JSON array) into a validated query. Errors
// are *Error with the messages of docs/protocol.md.
func Parse(req []byte) (Query, error) {
	// A copy: the query keeps substrings of the request (records, names).
	return ParseString(string(req))
}

// ParseView is Parse for a caller that keeps req unchanged for as long as
// it uses the query (the database's write paths: until the write is
// answered). The commonest writes, an insert of one record or of an array
// of them, then refer to req's bytes instead of a copy of the whole
// request: each record is copied into storage of its own when applied, and
// the collection's name when a collection is made. Anything else is parsed
// from a copy, as by Parse.
func ParseView(req []byte) (Query, error) {
	view := unsafe.String(unsafe.SliceData(req), len(req))
	if !strings.HasPrefix(view, oneInsertHead) || !wellFormed(req) {
		return Parse(req)
	}
	if q, ok := parseOneInsert(view); ok {
		return q, nil
	}
	return ParseTrusted(req) // well-formed, checked above; parsed from a copy
}

// ParseViewWith is ParseView, with the check that req is well-formed and
// the parse of a large insert run as two tasks of run (the writer lends
// its spare cores, collection.Runner), each a pass over the whole request:
// the parse of an insert does not need the check's verdict to find its
// records, only to keep them. Its result is ParseView's: the parse's
// records when the check passes, otherwise Parse's error.
//
// Measured (a probe loading 200,000 records in inserts of 1,000, the
// caller's goroutine parsing while the writer's cores wait): the check was
// 40 % of a parse of 0.54 us per record, the walk that finds and checks
// the records the rest.
func ParseViewWith(req []byte, run collection.Runner) (Query, error) {
	view := unsafe.String(unsafe.SliceData(req), len(req))
	if run == nil || len(req) < minParallelParse || !strings.HasPrefix(view, oneInsertHead) {
		return ParseView(req)
	}
	var (
		formed, ok bool
		q          Query
	)
	// The walk first: the asking goroutine takes task 0 at once, while a
	// helper takes the next one only tens of microseconds later, so the
	// longer task goes first (a load of the in-process comparison's
	// records: the walk 270 us per insert of 1,000 records, the check 170).
	run(2, func(i int) {
		if i == 0 {
			q, ok = parseOneInsert(view) // finds and refuses what is not well-formed
		} else {
			formed = wellFormed(req)
		}
	}, nil)
	switch {
	case !formed:
		return Parse(req) // its error
	case ok:
		return q, nil
	}
	return ParseTrusted(req)
}

// minParallelParse is the shortest request ParseViewWith parses in two
// tasks: a task handed to another goroutine costs a few microseconds,
// a hundredth of the parse of 32 KiB of records. A variable, so that tests
// can parse small requests in two tasks.
var minParallelParse = 32 << 10

// ParseString is Parse on a string.
func ParseString(req string) (Query, error) {
	// wellFormed only reads the bytes.
	if !wellFormed(unsafe.Slice(unsafe.StringData(req), len(req))) {
		if err := checkText(req); err != nil {
			return nil, err
		}
	} else if q, ok := parseOneInsert(req); ok {
		return q, nil
	}
	return parseQuery(gjson.Parse(req), "")
}

// wellFormed reports whether req is one JSON value, nested at most
// MaxDepth deep, and valid UTF-8: one pass of jsontext's scanner (which
// accepts what encoding/json does) and one of the UTF-8 check. It replaced
// gjson.Valid and jsontext.Depth, two passes that cost 8 % of the server's
// CPU per pipelined insert (a pprof of `fleetdb bench --type insert
// --pipeline 32`). JSON is UTF-8 (RFC 8259), and a record with invalid bytes
// would come back as a response that is not valid JSON text, so such
// requests are refused too.
func wellFormed(req []byte) bool {
	return jsontext.Check(req, MaxDepth) == nil && utf8.Valid(req)
}

// checkText is how requests were checked before wellFormed, and still are
// when wellFormed refuses one: it gives the messages (malformed JSON and
// why, or too deep), and the same verdict in the corners where gjson is
// more lenient than encoding/json (FuzzWellFormed checks that what
// wellFormed accepts, checkText accepts too).
func checkText(req string) error {
	if !gjson.Valid(req) || !utf8.ValidString(req) {
		return malformedJSON("%s", describeInvalid(req))
	}
	if d := jsontext.Depth(req); d > MaxDepth {
		return malformed("nesting depth %d exceeds the limit of %d", d, MaxDepth)
	}
	return nil
}

// ParseTrusted parses a request whose text is known good: one that
// ParseString accepted before and that comes back unchanged from a
// checksummed log (replay), or one ParseView has just checked. It skips the
// checks of the JSON text (validity, UTF-8, depth), which cost about a third
// of parsing. Any other input must go through Parse.
func ParseTrusted(req []byte) (Query, error) {
	s := string(req)
	if q, ok := parseOneInsert(s); ok {
		return q, nil
	}
	return parseQuery(gjson.Parse(s), "")
}

func describeInvalid(req string) string {
	if strings.TrimSpace(req) == "" {
		return "empty request"
	}
	if !utf8.ValidString(req) {
		return "invalid UTF-8"
	}
	s := req
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return "cannot parse " + s
}

// parseQuery parses a query array; where names the enclosing query for
// messages ("" at top level).
func parseQuery(q gjson.Result, where string) (Query, error) {
	if !q.IsArray() {
		return nil, malformed("%squery must be an array, got %s", where, kindOf(q))
	}
	var argsBuf [4]gjson.Result
	args := elems(q, argsBuf[:0])
	if len(args) == 0 {
		return nil, malformed("%squery is an empty array", where)
	}
	if args[0].Type != gjson.String {
		return nil, malformed("%squery name must be a string, got %s", where, compact(args[0]))
	}
	name := args[0].Str
	p, ok := parsers[name]
	if !ok {
		return nil, malformed("%sunknown query %s", where, quoteJSON(name))
	}
	rest := args[1:]
	if len(rest) < p.min || len(rest) > p.max {
		return nil, malformed("%s%s takes %s, got %d", where, name, arity(p.min, p.max), len(rest))
	}
	return p.parse(rest)
}

type parser struct {
	min, max int
	parse    func(args []gjson.Result) (Query, error)
}

var parsers map[string]parser

func init() {
	parsers = map[string]parser{
		"ping":                 {0, 0, func([]gjson.Result) (Query, error) { return Ping{}, nil }},
		"info":                 {0, 0, func([]gjson.Result) (Query, error) { return Info{}, nil }},
		"list-collections":     {0, 0, func([]gjson.Result) (Query, error) { return ListCollections{}, nil }},
		"clear":                {0, 0, func([]gjson.Result) (Query, error) { return Clear{}, nil }},
		"compact":              {0, 0, func([]gjson.Result) (Query, error) { return Compact{}, nil }},
		"select":               {1, 2, parseSelect},
		"count":                {1, 2, parseCount},
		"explain":              {1, 1, parseExplain},
		"list-indexes":         {1, 1, parseListIndexes},
		"multi-read":           {1, 1, parseMultiRead},
		"insert":               {2, 2, parseInsert},
		"put":                  {2, 2, parsePut},
		"update":               {2, 3, parseUpdate},
		"delete":               {1, 2, parseDelete},
		"create-index":         {2, 2, parseCreateIndex},
		"drop-index":           {2, 2, parseDropIndex},
		"drop-collection":      {1, 1, parseDropCollection},
		"multi-write":          {1, 1, parseMultiWrite},
		"checked-write":        {3, 3, parseCheckedWrite},
		"call":                 {1, 1 << 20, parseCall},
		"auth":                 {1, 1, parseAuth},
		"cluster-join":         {3, 3, parseClusterJoin},
		"cluster-remove":       {1, 1, parseClusterRemove},
		"set-read-consistency": {1, 1, parseSetReadConsistency},
		"watch":                {1, 2, parseWatch},
		"unwatch":              {0, 0, func([]gjson.Result) (Query, error) { return Unwatch{}, nil }},
		"snapshot-open":        {0, 1, parseSnapshotOpen},
		"snapshot-read":        {2, 2, parseSnapshotRead},
		"snapshot-close":       {1, 1, parseSnapshotClose},
	}
}

func arity(min, max int) string {
	switch {
	case min == max && min == 0:
		return "no arguments"
	case min == max && min == 1:
		return "1 argument"
	case min == max:
		return itoa(min) + " arguments"
	case max >= 1<<20:
		return "at least " + itoa(min) + " argument(s)"
	}
	return itoa(min) + " or " + itoa(max) + " arguments"
}

func parseColl(q string, r gjson.Result) (string, error) {
	if r.Type != gjson.String {
		return "", malformed("%s: collection name must be a string, got %s", q, compact(r))
	}
	if r.Str == "" {
		return "", malformed("%s: collection name is empty", q)
	}
	return r.Str, nil
}

func parseSelect(args []gjson.Result) (Query, error) {
	coll, err := parseColl("select", args[0])
	if err != nil {
		return nil, err
	}
	f, err := parseFind("select", args[1:], findSelect)
	return Select{Coll: coll, Find: f}, err
}

func parseCount(args []gjson.Result) (Query, error) {
	coll, err := parseColl("count", args[0])
	if err != nil {
		return nil, err
	}
	f, err := parseFind("count", args[1:], findCount)
	// Order does not change a count (offset and limit only cut it), so the
	// plan never sorts.
	f.Order, f.orderRaw = nil, ""
	return Count{Coll: coll, Find: f}, err
}

func parseExplain(args []gjson.Result) (Query, error) {
	inner, err := parseQuery(args[0], "explain: ")
	if err != nil {
		return nil, err
	}
	switch inner.(type) {
	case Select, Count, Update, Delete:
		return Explain{Query: inner}, nil
	}
	return nil, malformed("explain: can only explain select, count, update or delete, got %s", inner.Name())
}

func parseListIndexes(args []gjson.Result) (Query, error) {
	coll, err := parseColl("list-indexes", args[0])
	return ListIndexes{Coll: coll}, err
}

func parseQueryList(name string, r gjson.Result) ([]Query, error) {
	if !r.IsArray() {
		return nil, malformed("%s takes an array of queries, got %s", name, kindOf(r))
	}
	var qs []Query
	var err error
	i := 0
	r.ForEach(func(_, q gjson.Result) bool {
		var parsed Query
		parsed, err = parseQuery(q, name+" query "+itoa(i)+": ")
		qs = append(qs, parsed)
		i++
		return err == nil
	})
	return qs, err
}

func parseMultiRead(args []gjson.Result) (Query, error) {
	qs, err := parseQueryList("multi-read", args[0])
	if err != nil {
		return nil, err
	}
	for i, q := range qs {
		if err := mustRead("multi-read query "+itoa(i), q); err != nil {
			return nil, err
		}
	}
	return MultiRead{Queries: qs}, nil
}

// answeredAbove reports whether q is answered by the layer that owns a
// resource (the log, the connection, the cluster) and never runs on a
// value, so it cannot be part of a multi-read, multi-write, checked-write
// or user command. (Before, only compact and auth were refused there; the
// cluster queries parsed inside a batch and then failed at run time with
// an error that was not a refusal.)
func answeredAbove(q Query) bool {
	switch q.(type) {
	case Compact, Auth, ClusterJoin, ClusterRemove, SetReadConsistency,
		Watch, Unwatch, SnapshotOpen, SnapshotRead, SnapshotClose:
		return true
	}
	return false
}

func mustRead(where string, q Query) error {
	if answeredAbove(q) {
		return malformed("%s: %s is not allowed here", where, q.Name())
	}
	if q.IsWrite() {
		return malformed("%s: %s is a write, only reads are allowed", where, q.Name())
	}
	return nil
}

func parseRecords(q string, r gjson.Result) ([]Record, error) {
	if r.IsObject() {
		rec, err := parseRecord(q, r)
		return []Record{rec}, err
	}
	if !r.IsArray() {
		return nil, malformed("%s takes a record or an array of records, got %s", q, kindOf(r))
	}
	var (
		recs []Record
		ids  idBatch
		err  error
	)
	r.ForEach(func(_, x gjson.Result) bool {
		if !x.IsObject() {
			err = malformed("%s: record %d is not an object, got %s", q, len(recs), kindOf(x))
			return false
		}
		var rec Record
		var id gjson.Result
		rec, id, err = parseRecordJSON(q, x)
		if err == nil {
			ids.add(id)
		}
		recs = append(recs, rec)
		return err == nil
	})
	if err == nil {
		ids.assign(recs)
	}
	return recs, err
}

// idBatch holds the encoded ids of a batch of records in one buffer, made
// one string at the end and shared by the records' IDs (one allocation for
// the batch instead of one per record; the collection copies each id into
// the record's block). ends[i] is where record i's id ends in it.
type idBatch struct {
	buf  []byte
	ends []int
}

// add appends the next record's id.
func (b *idBatch) add(id gjson.Result) {
	b.buf = index.AppendValue(b.buf, id)
	b.ends = append(b.ends, len(b.buf))
}

// assign sets the IDs of recs, one per id added, in order.
func (b *idBatch) assign(recs []Record) {
	ids, start := string(b.buf), 0
	for i, end := range b.ends {
		recs[i].ID = ids[start:end]
		start = end
	}
}

func parseRecord(q string, r gjson.Result) (Record, error) {
	rec, id, err := parseRecordJSON(q, r)
	if err == nil {
		rec.ID = index.EncodeValue(id)
	}
	return rec, err
}

// MaxRecordBytes bounds one record's JSON (256 MiB, the log's largest
// record): a record and its index keys are one block (index.NewBlock),
// whose lengths and offsets reach 1 GiB.
const MaxRecordBytes = 256 << 20

// maxRecordBytes is MaxRecordBytes; tests lower it.
var maxRecordBytes = MaxRecordBytes

// parseRecordJSON checks a record and returns it without its ID, and its
// id attribute, which the caller encodes.
func parseRecordJSON(q string, r gjson.Result) (Record, gjson.Result, error) {
	rec, id, err := checkRecord(q, r)
	if err == nil {
		// The JSON may share the request's bytes: the collection copies
		// every record into a block of its own (index.NewBlock), so
		// nothing keeps the request alive after the write.
		rec.JSON = jsontext.Compact(rec.JSON)
	}
	return rec, id, err
}

// checkRecord is parseRecordJSON without the compaction: the record's JSON
// is r's text as it is.
func checkRecord(q string, r gjson.Result) (Record, gjson.Result, error) {
	id := r.Get("id")
	if !id.Exists() || id.Type == gjson.Null { // null = missing (docs/query-language.md)
		return Record{}, id, errNoID
	}
	if id.Type != gjson.Number && id.Type != gjson.String {
		return Record{}, id, malformed("%s: id must be a number or a string, got %s", q, compact(id))
	}
	if id.Type == gjson.Number && (math.IsInf(id.Num, 0) || math.IsNaN(id.Num)) {
		return Record{}, id, malformed("%s: id %s is out of the range of a double", q, id.Raw)
	}
	if len(r.Raw) > maxRecordBytes {
		return Record{}, id, malformed("%s: record of %d bytes is longer than %d", q, len(r.Raw), maxRecordBytes)
	}
	return Record{JSON: r.Raw}, id, nil
}

func parseInsert(args []gjson.Result) (Query, error) {
	coll, err := parseColl("insert", args[0])
	if err != nil {
		return nil, err
	}
	recs, err := parseRecords("insert", args[1])
	return Insert{Coll: coll, Records: recs}, err
}

func parsePut(args []gjson.Result) (Query, error) {
	coll, err := parseColl("put", args[0])
	if err != nil {
		return nil, err
	}
	recs, err := parseRecords("put", args[1])
	return Put{Coll: coll, Records: recs}, err
}

func parseUpdate(args []gjson.Result) (Query, error) {
	coll, err := parseColl("update", args[0])
	if err != nil {
		return nil, err
	}
	if !args[1].IsObject() {
		return nil, malformed("update: changes must be an object, got %s", kindOf(args[1]))
	}
	var changes []Change
	seen := map[string]bool{}
	args[1].ForEach(func(k, v gjson.Result) bool {
		if k.Str == "id" {
			err = malformed("update: changing id is not allowed")
			return false
		}
		if seen[k.Str] {
			err = malformed("update: key %s appears twice in changes", k.Raw)
			return false
		}
		seen[k.Str] = true
		c := Change{Key: k.Str, KeyRaw: k.Raw}
		if v.Type == gjson.Null {
			c.Remove = true
		} else {
			c.Value = compact(v)
		}
		changes = append(changes, c)
		return true
	})
	if err != nil {
		return nil, err
	}
	f, err := parseFind("update", args[2:], findWrite)
	return Update{Coll: coll, Changes: changes, Find: f}, err
}

func parseDelete(args []gjson.Result) (Query, error) {
	coll, err := parseColl("delete", args[0])
	if err != nil {
		return nil, err
	}
	f, err := parseFind("delete", args[1:], findWrite)
	return Delete{Coll: coll, Find: f}, err
}

func parseSpec(q string, r gjson.Result) (index.Spec, error) {
	s, err := index.ParseSpec(r)
	if err != nil {
		return s, malformed("%s: %v", q, err)
	}
	return s, nil
}

func parseCreateIndex(args []gjson.Result) (Query, error) {
	coll, err := parseColl("create-index", args[0])
	if err != nil {
		return nil, err
	}
	s, err := parseSpec("create-index", args[1])
	return CreateIndex{Coll: coll, Spec: s}, err
}

func parseDropIndex(args []gjson.Result) (Query, error) {
	coll, err := parseColl("drop-index", args[0])
	if err != nil {
		return nil, err
	}
	s, err := parseSpec("drop-index", args[1])
	return DropIndex{Coll: coll, Spec: s}, err
}

func parseDropCollection(args []gjson.Result) (Query, error) {
	coll, err := parseColl("drop-collection", args[0])
	return DropCollection{Coll: coll}, err
}

func parseMultiWrite(args []gjson.Result) (Query, error) {
	qs, err := parseQueryList("multi-write", args[0])
	if err != nil {
		return nil, err
	}
	for i, q := range qs {
		if answeredAbove(q) {
			return nil, malformed("multi-write query %d: %s is not allowed here", i, q.Name())
		}
	}
	return MultiWrite{Queries: qs}, nil
}

func parseCheckedWrite(args []gjson.Result) (Query, error) {
	read, err := parseQuery(args[0], "checked-write read: ")
	if err != nil {
		return nil, err
	}
	if err := mustRead("checked-write", read); err != nil {
		return nil, err
	}
	write, err := parseQuery(args[2], "checked-write write: ")
	if err != nil {
		return nil, err
	}
	if !write.IsWrite() {
		return nil, malformed("checked-write: the third argument must be a write, got %s", write.Name())
	}
	return CheckedWrite{Read: read, Expected: index.EncodeValue(args[1]), Write: write}, nil
}

func parseCall(args []gjson.Result) (Query, error) {
	if args[0].Type != gjson.String || args[0].Str == "" {
		return nil, malformed("call: command name must be a non-empty string, got %s", compact(args[0]))
	}
	c := Call{Command: args[0].Str}
	for _, a := range args[1:] {
		c.Args = append(c.Args, compact(a))
	}
	return c, nil
}

func parseAuth(args []gjson.Result) (Query, error) {
	if args[0].Type != gjson.String {
		return nil, malformed("auth: password must be a string")
	}
	return Auth{Password: args[0].Str}, nil
}

func compact(r gjson.Result) string { return jsontext.CompactString(r.Raw) }

func kindOf(r gjson.Result) string {
	switch r.Type {
	case gjson.Null:
		return "null"
	case gjson.False, gjson.True:
		return "a boolean " + r.Raw
	case gjson.Number:
		return "a number " + r.Raw
	case gjson.String:
		return "a string " + quoteJSON(r.Str)
	}
	if r.IsArray() {
		return "an array"
	}
	return "an object"
}

func itoa(i int) string { return strconv.Itoa(i) }
