package fleetdb

import (
	"context"
	"slices"
	"unsafe"

	"github.com/fleetdb-go/fleetdb/query"
)

// readsMax is the most lines AppendReads answers at once, and readsBytes
// the most bytes of encoded ids it gathers: both bound arrays on its stack,
// so that it allocates nothing but the growth of dst.
const (
	readsMax   = 64
	readsBytes = 4096
	encMax     = 160 // an encoded id is at most this long (query.Point: 128)
)

// AppendReads answers the longest prefix of lines that are point reads by
// id (`["select", coll, {"where": ["=", "id", x]}]`, see query.ParsePoint)
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
		encBuf [readsBytes]byte
		ids    [readsMax]string
		recs   [readsMax]string
	)
	enc := encBuf[:0]
	var coll []byte
	n := 0
	for _, line := range lines[:min(len(lines), readsMax)] {
		if len(enc)+encMax > cap(enc) {
			break
		}
		p, ok := query.ParsePoint(line)
		if !ok || (n > 0 && string(p.Collection()) != string(coll)) {
			break
		}
		start := len(enc)
		if enc, ok = p.AppendIDKey(enc); !ok {
			break
		}
		coll = p.Collection()
		// encBuf never grows (see the check above), so the bytes stay put.
		ids[n] = unsafe.String(&enc[start], len(enc)-start)
		n++
	}
	if n < 2 {
		return dst, 0
	}
	v, err := db.readView(ctx)
	if err != nil {
		return dst, 0
	}
	c := v.Collection(string(coll))
	c.GetMany(ids[:n], recs[:n])
	size := 0
	for _, rec := range recs[:n] {
		size += len(pre) + len(rec) + 2 + len(post)
	}
	dst = slices.Grow(dst, size)
	for _, rec := range recs[:n] {
		dst = append(dst, pre...)
		dst = append(dst, '[')
		dst = append(dst, rec...)
		dst = append(dst, ']')
		dst = append(dst, post...)
	}
	return dst, n
}
