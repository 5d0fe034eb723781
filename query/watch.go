package query

import (
	"github.com/tidwall/gjson"
)

// Change feeds (docs/changefeeds.md) and pinned snapshots (docs/changefeeds.md). These queries are
// answered by the layer that owns the resource (the connection for watch,
// the database for the snapshot pins), never on a value.
type (
	// Watch turns the connection into a feed of the changes to Coll.
	Watch struct {
		Coll    string
		Where   Cond // nil: every record
		From    uint64
		HasFrom bool
		Initial bool
	}
	// Unwatch ends a feed.
	Unwatch struct{}
	// SnapshotOpen pins the current value for TTL seconds after last use.
	SnapshotOpen struct{ TTL int }
	// SnapshotRead runs a read query on a pinned value.
	SnapshotRead struct {
		ID    string
		Query Query
	}
	// SnapshotClose releases a pin.
	SnapshotClose struct{ ID string }
)

func (Watch) Name() string         { return "watch" }
func (Unwatch) Name() string       { return "unwatch" }
func (SnapshotOpen) Name() string  { return "snapshot-open" }
func (SnapshotRead) Name() string  { return "snapshot-read" }
func (SnapshotClose) Name() string { return "snapshot-close" }

func (Watch) IsWrite() bool         { return false }
func (Unwatch) IsWrite() bool       { return false }
func (SnapshotOpen) IsWrite() bool  { return false }
func (SnapshotRead) IsWrite() bool  { return false }
func (SnapshotClose) IsWrite() bool { return false }

// Snapshot TTLs in seconds (docs/changefeeds.md).
const (
	DefaultSnapshotTTL = 60
	MaxSnapshotTTL     = 3600
)

func parseWatch(args []gjson.Result) (Query, error) {
	coll, err := parseColl("watch", args[0])
	if err != nil {
		return nil, err
	}
	w := Watch{Coll: coll}
	if len(args) < 2 {
		return w, nil
	}
	opts := args[1]
	if !opts.IsObject() {
		return nil, malformed("watch: options must be an object, got %s", kindOf(opts))
	}
	opts.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "where":
			w.Where, err = parseCond("watch", v, 0)
		case "from":
			if v.Type != gjson.Number || v.Num < 0 || v.Num != float64(uint64(v.Num)) || v.Num > 1<<53 {
				err = malformed("watch: from must be a non-negative integer, got %s", compact(v))
				break
			}
			w.From, w.HasFrom = uint64(v.Num), true
		case "initial":
			if !v.IsBool() {
				err = malformed("watch: initial must be true or false, got %s", compact(v))
				break
			}
			w.Initial = v.Bool()
		default:
			err = malformed("watch: unknown option %s", quoteJSON(k.Str))
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

func parseSnapshotOpen(args []gjson.Result) (Query, error) {
	q := SnapshotOpen{TTL: DefaultSnapshotTTL}
	if len(args) == 0 {
		return q, nil
	}
	v := args[0]
	if v.Type != gjson.Number || v.Num != float64(int(v.Num)) || v.Num < 1 || v.Num > MaxSnapshotTTL {
		return nil, malformed("snapshot-open: ttl must be an integer number of seconds from 1 to %d, got %s", MaxSnapshotTTL, compact(v))
	}
	q.TTL = int(v.Num)
	return q, nil
}

func parseSnapshotID(q string, v gjson.Result) (string, error) {
	if v.Type != gjson.String || v.Str == "" {
		return "", malformed("%s: snapshot id must be a non-empty string, got %s", q, compact(v))
	}
	return v.Str, nil
}

func parseSnapshotRead(args []gjson.Result) (Query, error) {
	id, err := parseSnapshotID("snapshot-read", args[0])
	if err != nil {
		return nil, err
	}
	inner, err := parseQuery(args[1], "snapshot-read: ")
	if err != nil {
		return nil, err
	}
	switch inner.(type) {
	case Select, Count, Explain, ListCollections, ListIndexes, MultiRead:
		return SnapshotRead{ID: id, Query: inner}, nil
	}
	return nil, malformed("snapshot-read: %s is not a read of the database (select, count, explain, list-collections, list-indexes or multi-read)", inner.Name())
}

func parseSnapshotClose(args []gjson.Result) (Query, error) {
	id, err := parseSnapshotID("snapshot-close", args[0])
	return SnapshotClose{ID: id}, err
}
