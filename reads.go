package fleetdb

import (
	"context"
	"slices"
	"unsafe"

	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/query"
)

// readsMax is the most lines AppendReads answers at once, and the most
// points lookupPoints looks up together; readsBytes bounds the encoded ids
// it gathers. Both bound arrays on the stack, so that neither allocates.
const (
	readsMax   = 64
	readsBytes = 4096
	encMax     = 160 // an encoded id is at most this long (query.Point: 128)
)

// AppendReads answers the longest prefix of lines that are point reads by
// id (`["select", coll, {"where": ["=", "id", x]}]`, see query.Point.Parse)
// of one collection, at most readsMax of them, from one view of the
// database: for each it appends pre, the JSON result AppendQuery would
// give, and post to dst. It returns dst and the number of lines answered,
// which is 0, with dst unchanged, when fewer than two such lines lead
// lines, on a cluster member, or when the database is closed: the server
// then runs the lines one by one (server.ReadBatchExecutor).
//
// Looking the records up together lets the cache misses of different reads
// overlap (collection.Collection.GetMany), where AppendQuery, one read
// after another, waits out each read's misses in turn; one view and one
// call also serve the whole prefix.
func (db *DB) AppendReads(ctx context.Context, dst []byte, lines [][]byte, pre, post []byte) ([]byte, int) {
	if db.repl != nil || len(lines) < 2 {
		return dst, 0
	}
	var (
		points [readsMax]query.Point
		recs   [readsMax]string
		byID   [readsMax]bool
	)
	n := 0
	for _, line := range lines[:min(len(lines), readsMax)] {
		p := &points[n]
		if !p.Parse(line) || !p.ByID() || (n > 0 && string(p.Collection()) != string(points[0].Collection())) {
			break
		}
		n++
	}
	if n < 2 {
		return dst, 0
	}
	v, err := db.readView(ctx)
	if err != nil {
		return dst, 0
	}
	lookupPoints(v, points[:n], recs[:n], byID[:n])
	size := 0
	for _, rec := range recs[:n] {
		size += len(pre) + len(rec) + 2 + len(post)
	}
	dst = slices.Grow(dst, size)
	for _, rec := range recs[:n] {
		dst = append(dst, pre...)
		dst = query.AppendByIDResult(dst, rec)
		dst = append(dst, post...)
	}
	return dst, n
}

// lookupPoints looks up in v, together, the records of those of points
// that read one record by id (query.Point.ByID): byID[i] reports whether
// points[i] is one, and recs[i] is then its record ("" if there is none).
// The points of each run of one collection are looked up with one
// collection.Collection.GetMany, so that their cache misses overlap. It
// allocates nothing.
func lookupPoints(v *dbvalue.Value, points []query.Point, recs []string, byID []bool) {
	var (
		encBuf [readsBytes]byte
		ids    [readsMax]string
		at     [readsMax]int // the index in points of ids[k]
		found  [readsMax]string
	)
	enc := encBuf[:0]
	n := 0
	var coll []byte
	flush := func() {
		if n > 0 {
			v.Collection(string(coll)).GetMany(ids[:n], found[:n])
			for k := range n {
				recs[at[k]] = found[k]
			}
		}
		n, enc = 0, encBuf[:0]
	}
	for i := range points {
		p := &points[i]
		byID[i], recs[i] = false, ""
		if !p.ByID() {
			continue
		}
		if n == readsMax || len(enc)+encMax > cap(enc) || (n > 0 && string(p.Collection()) != string(coll)) {
			flush()
		}
		start := len(enc)
		enc, _ = p.AppendIDKey(enc)
		// encBuf never grows (flushed before it could), so the bytes stay put.
		ids[n], at[n] = unsafe.String(&enc[start], len(enc)-start), i
		coll = p.Collection()
		byID[i] = true
		n++
	}
	flush()
}
