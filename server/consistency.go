package server

import (
	"github.com/fleetdb-go/fleetdb/protocol"
	"github.com/fleetdb-go/fleetdb/query"
)

// setReadConsistency answers ["set-read-consistency", "local"|"linearizable"]:
// the level becomes the connection's, and every later query on it runs with
// query.WithReadConsistency(ctx, level). The answer is the level ("local"
// or "linearizable"); a malformed request is refused (status 1) and leaves
// the setting as it was. The Executor never sees this query: the setting
// belongs to the connection, not to the database (which only reads it from
// the ctx, and ignores it when it is not a cluster member).
func (se *session) setReadConsistency(line []byte) {
	q, err := query.Parse(line)
	if err != nil {
		se.answer(nameSetReadConsistency, statusOf(err), err.Error())
		return
	}
	sc, ok := q.(query.SetReadConsistency)
	if !ok {
		// queryIndex said set-read-consistency, so the parser must agree.
		se.answer(nameSetReadConsistency, protocol.StatusRefused, protocol.PrefixMalformedQuery+"expected set-read-consistency")
		return
	}
	se.qctx = query.WithReadConsistency(se.ctx, sc.Level)
	se.out, _ = protocol.AppendResponse(se.out, protocol.StatusOK, []byte(sc.Result()))
	se.srv.m.answered(nameSetReadConsistency, protocol.StatusOK)
}
