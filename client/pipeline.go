package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/fleetdb-go/fleetdb/protocol"
)

// pipelineChunk is the most bytes of requests Pipeline hands to one Write.
const pipelineChunk = 1 << 20

// Result is the outcome of one query of a Pipeline: the value of a status 0
// answer, or an error (an *Error for status 1 or 2).
type Result struct {
	Value json.RawMessage
	Err   error
}

// Pipeline sends all the queries on one connection without waiting for
// answers, and reads the answers, which come back in order. It is the fast
// way to run many independent queries: one round trip instead of one per
// query. The queries are not atomic (see multi-write for that) and the
// server runs them one after the other, in order.
//
// The queries are encoded up front (as in Query); one that cannot be encoded
// gets an error wrapping ErrInvalidQuery in its Result and is not sent, and
// the others are. The lines are then written, in chunks of up to 1 MiB,
// by a goroutine while the calling goroutine reads the answers, so that
// neither side can block the other however large the batch.
//
// results always has one entry per query. The returned error is nil when
// every sent query got its answer (each Result then says how its query
// went). Otherwise it reports why the exchange stopped (connection lost, ctx
// ended, unparsable answer, ...): the answers read before that are in
// results, and every query still waiting for its answer has in its Result
// that same error, which wraps ErrOutcomeUnknown. Nothing is retried.
func (c *Client) Pipeline(ctx context.Context, qs []any) ([]Result, error) {
	results := make([]Result, len(qs))
	var reqs []byte
	sent := make([]int, 0, len(qs)) // indexes in qs of the queries sent, in order
	for i, q := range qs {
		var err error
		n := len(reqs)
		if reqs, err = appendRequest(reqs, q); err != nil {
			reqs = reqs[:n]
			results[i].Err = err
			continue
		}
		sent = append(sent, i)
	}
	if len(sent) == 0 {
		return results, nil
	}
	if err := ctx.Err(); err != nil {
		return results, failAll(results, sent, err)
	}
	cn, err := c.get(ctx)
	if err != nil {
		return results, failAll(results, sent, err)
	}
	defer c.put(cn)
	stop, err := cn.begin(ctx)
	if err != nil {
		return results, failAll(results, sent, err)
	}

	var wg sync.WaitGroup
	var werr error // set by the writer before wg.Done
	wg.Go(func() {
		for off := 0; off < len(reqs); off += pipelineChunk {
			if _, err := cn.nc.Write(reqs[off:min(off+pipelineChunk, len(reqs))]); err != nil {
				werr = err
				cn.nc.Close() // unblock the reader
				return
			}
		}
	})

	// Status 0 values are copied into one arena; spans[k] locates the
	// value of the k-th sent query (zero length if it had none).
	var arena []byte
	spans := make([][2]int, len(sent))
	got := 0
	var rerr error
	for ; got < len(sent); got++ {
		line, err := cn.r.ReadLine()
		if err != nil {
			if errors.Is(err, protocol.ErrTooLarge) {
				results[sent[got]].Err = fmt.Errorf("%w: answer: %w", ErrOutcomeUnknown, err)
				continue
			}
			rerr = err
			break
		}
		status, value, err := protocol.ParseResponse(line)
		if err != nil {
			rerr = err
			break
		}
		if status != protocol.StatusOK {
			e := serverError(status, value)
			if e.closesConn() {
				cn.broken = true
			}
			results[sent[got]].Err = e
			continue
		}
		spans[got] = [2]int{len(arena), len(arena) + len(value)}
		arena = append(arena, value...)
	}
	if rerr != nil {
		cn.nc.Close() // unblock the writer
	}
	wg.Wait()
	cn.end(stop)

	for k := range got {
		if s := spans[k]; s[1] > s[0] {
			results[sent[k]].Value = json.RawMessage(arena[s[0]:s[1]:s[1]])
		}
	}
	if rerr == nil {
		if werr != nil {
			// Every answer arrived although a write failed afterwards:
			// the results are complete, the connection is not reusable.
			cn.broken = true
		}
		return results, nil
	}
	// When the writer failed first, it closed the connection under the
	// reader: report the writer's error rather than the consequence.
	cause := rerr
	if werr != nil && errors.Is(rerr, net.ErrClosed) {
		cause = werr
	}
	return results, failAll(results, sent[got:], cn.ioError(ctx, cause))
}

// failAll sets err in the results of the queries indexed by idx and returns
// it.
func failAll(results []Result, idx []int, err error) error {
	for _, i := range idx {
		results[i].Err = err
	}
	return err
}
