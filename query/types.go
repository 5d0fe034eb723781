package query

import (
	"github.com/fleetdb-go/fleetdb/collection"
	"github.com/fleetdb-go/fleetdb/index"
)

// Query is a parsed, validated query (docs/query-language.md).
type Query interface {
	// Name is the query's name as written ("select", "insert", ...).
	Name() string
	// IsWrite reports whether the query changes the database and so goes
	// through the single writer.
	IsWrite() bool
}

// Reads.
type (
	// Ping answers "pong".
	Ping struct{}
	// Info describes the database; the environment supplies the details.
	Info struct{}
	// Select returns matching records or projections.
	Select struct {
		Coll string
		Find Find
	}
	// Count returns the number of matching records.
	Count struct {
		Coll string
		Find Find
	}
	// Explain returns the plan of a select, count, update or delete.
	Explain struct{ Query Query }
	// ListCollections returns the names of the non-empty collections.
	ListCollections struct{}
	// ListIndexes returns a collection's index specs as given.
	ListIndexes struct{ Coll string }
	// MultiRead runs reads on one snapshot.
	MultiRead struct{ Queries []Query }
)

// Writes.
type (
	// Insert adds records whose ids are new.
	Insert struct {
		Coll    string
		Records []Record
	}
	// Put inserts or replaces records by id.
	Put struct {
		Coll    string
		Records []Record
	}
	// Update merges changes into every matching record.
	Update struct {
		Coll    string
		Changes []Change
		Find    Find
	}
	// Delete removes every matching record.
	Delete struct {
		Coll string
		Find Find
	}
	// CreateIndex adds an index.
	CreateIndex struct {
		Coll string
		Spec index.Spec
	}
	// DropIndex removes an index.
	DropIndex struct {
		Coll string
		Spec index.Spec
	}
	// DropCollection removes a collection with its records and indexes.
	DropCollection struct{ Coll string }
	// Clear removes every collection.
	Clear struct{}
	// MultiWrite runs queries in order, atomically.
	MultiWrite struct{ Queries []Query }
	// CheckedWrite runs Write only if Read's result equals Expected.
	CheckedWrite struct {
		Read     Query
		Expected string // canonical encoding of the expected result
		Write    Query
	}
	// Call runs a user-defined write command.
	Call struct {
		Command string
		Args    []string // compact JSON of each argument
	}
)

// Housekeeping: answered by the layer that owns the resource, never applied
// to a value.
type (
	// Compact starts a background compaction of the log.
	Compact struct{}
	// Auth authenticates a protocol connection.
	Auth struct{ Password string }
)

// Record is a record to write: its encoded id and its compact JSON. Both
// may share bytes with the request or with the other records of a batch
// (the collection stores copies). It is the collection's Record, so that a
// batch goes to InsertMany as it is.
type Record = collection.Record

// Change is one attribute of an update's changes object.
type Change struct {
	Key    string // the top-level key, unescaped
	KeyRaw string // the key as a JSON string
	Value  string // compact JSON; empty when Remove
	Remove bool   // the change was null: remove the attribute
}

// Find holds the find-options of select, count, update and delete.
type Find struct {
	Where    Cond // nil: every record
	Order    []OrderKey
	Offset   int
	Limit    int // -1: no limit
	Only     []index.Path
	OnlyOne  bool // only was a single name: results are bare values
	Distinct bool

	whereRaw string
	orderRaw string
	onlyRaw  string
}

// OrderKey is one key of an order option.
type OrderKey struct {
	Path index.Path
	Desc bool
}

func (Ping) Name() string            { return "ping" }
func (Info) Name() string            { return "info" }
func (Select) Name() string          { return "select" }
func (Count) Name() string           { return "count" }
func (Explain) Name() string         { return "explain" }
func (ListCollections) Name() string { return "list-collections" }
func (ListIndexes) Name() string     { return "list-indexes" }
func (MultiRead) Name() string       { return "multi-read" }
func (Insert) Name() string          { return "insert" }
func (Put) Name() string             { return "put" }
func (Update) Name() string          { return "update" }
func (Delete) Name() string          { return "delete" }
func (CreateIndex) Name() string     { return "create-index" }
func (DropIndex) Name() string       { return "drop-index" }
func (DropCollection) Name() string  { return "drop-collection" }
func (Clear) Name() string           { return "clear" }
func (MultiWrite) Name() string      { return "multi-write" }
func (CheckedWrite) Name() string    { return "checked-write" }
func (Call) Name() string            { return "call" }
func (Compact) Name() string         { return "compact" }
func (Auth) Name() string            { return "auth" }

func (Ping) IsWrite() bool            { return false }
func (Info) IsWrite() bool            { return false }
func (Select) IsWrite() bool          { return false }
func (Count) IsWrite() bool           { return false }
func (Explain) IsWrite() bool         { return false }
func (ListCollections) IsWrite() bool { return false }
func (ListIndexes) IsWrite() bool     { return false }
func (MultiRead) IsWrite() bool       { return false }
func (Insert) IsWrite() bool          { return true }
func (Put) IsWrite() bool             { return true }
func (Update) IsWrite() bool          { return true }
func (Delete) IsWrite() bool          { return true }
func (CreateIndex) IsWrite() bool     { return true }
func (DropIndex) IsWrite() bool       { return true }
func (DropCollection) IsWrite() bool  { return true }
func (Clear) IsWrite() bool           { return true }
func (MultiWrite) IsWrite() bool      { return true }
func (CheckedWrite) IsWrite() bool    { return true }
func (Call) IsWrite() bool            { return true }
func (Compact) IsWrite() bool         { return false }
func (Auth) IsWrite() bool            { return false }
