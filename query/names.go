package query

import "slices"

// every is one query of each kind, in the order of Names: reads, writes,
// then the queries about the server and the cluster. Names and Writes are
// derived from their Name and IsWrite methods, so that the list of query
// names and which of them write is written once, here and in the types.
var every = [...]Query{
	Ping{}, Info{}, Select{}, Count{}, Explain{}, ListCollections{},
	ListIndexes{}, MultiRead{}, Insert{}, Put{}, Update{}, Delete{},
	CreateIndex{}, DropIndex{}, DropCollection{}, Clear{}, MultiWrite{},
	CheckedWrite{}, Compact{}, Call{}, Auth{},
	SetReadConsistency{}, ClusterJoin{}, ClusterRemove{},
	Watch{}, Unwatch{}, SnapshotOpen{}, SnapshotRead{}, SnapshotClose{},
}

// NumNames is the number of query names.
const NumNames = len(every)

// collectionQueries are the queries whose first argument is a collection
// name.
var collectionQueries = map[string]bool{
	"select": true, "count": true, "list-indexes": true, "insert": true,
	"put": true, "update": true, "delete": true, "create-index": true,
	"drop-index": true, "drop-collection": true, "watch": true,
}

var nameIndex = func() map[string]int {
	m := make(map[string]int, NumNames)
	for i, q := range every {
		m[q.Name()] = i
	}
	return m
}()

// Names returns the name of every query of the language, in a fixed order
// (reads, writes, then the queries about the server and the cluster): a
// bounded set, fit for metric labels, whose positions are NameIndex's.
func Names() []string {
	names := make([]string, NumNames)
	for i, q := range every {
		names[i] = q.Name()
	}
	return names
}

// NameIndex returns the position of name in Names, or -1 if it is not
// the name of a query.
func NameIndex(name string) int {
	if i, ok := nameIndex[name]; ok {
		return i
	}
	return -1
}

// Writes reports whether the query called name changes the database (its
// IsWrite); false for a name that is not a query's.
func Writes(name string) bool {
	i := NameIndex(name)
	return i >= 0 && every[i].IsWrite()
}

// TakesCollection reports whether the first argument of the query called
// name is a collection name (["select", "people", ...]).
func TakesCollection(name string) bool { return collectionQueries[name] }

// WriteNames returns the names of the queries that write, in the order of
// Names.
func WriteNames() []string {
	return slices.DeleteFunc(Names(), func(n string) bool { return !Writes(n) })
}
