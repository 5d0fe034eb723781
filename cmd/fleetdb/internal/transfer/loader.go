package transfer

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
)

// loader writes records into one collection in batches, each one insert
// (or put) query, pipelined on one connection: import and restore use it.
//
// The caller's goroutine fills batches and sends them; a reader goroutine
// reads the answers, at most window batches behind. A batch is all or
// nothing on the server. When one is refused, the loader stops sending and
// waits for the answers in flight; the batches sent after the refused one
// that were written are undone (insert: they are deleted by id, which
// restores what was there, since insert only adds records that did not
// exist; put cannot be undone, see lineError). Then the refused batch is
// bisected: halves are sent one at a time, the ones accepted stay written,
// until the one record the server refuses is found. Everything before it is
// written and nothing after it: the import stops there with its line
// number. If no record is refused on its own (the batch was too large as a
// whole), the batches undone are written again one at a time and the
// pipeline goes on.
type loader struct {
	rc       *client.Stream
	coll     string // the collection's name as JSON
	verb     string // "insert" or "put"
	maxRecs  int
	maxBytes int
	window   int

	cur    *batch
	putIDs map[string]struct{} // put: the ids in cur (put refuses a repeated id)
	free   chan *batch         // written batches, for reuse

	written atomic.Int64 // records acknowledged

	// The pipeline: batches sent and not yet answered, the reader's
	// goroutine, and what it found. stopped is set by the reader at the
	// first batch not written; the fields after it are the reader's until
	// wg.Wait.
	inflight chan *batch
	open     bool // inflight is not closed
	wg       sync.WaitGroup
	stopped  atomic.Bool
	fatal    error    // the connection failed
	retained []*batch // the first batch not written and every one after it
}

// batch is one insert query being built or sent: the request line, where
// each record and its id are in it, and the record's line in the input.
type batch struct {
	req   []byte
	recs  []span
	ids   []span
	lines []int64
	err   error // the answer: nil if the batch was written
}

type span struct{ from, to int }

// lineError is an import stopped at a line of the input.
type lineError struct {
	line    int64
	err     error  // why the line was refused
	written int64  // records written, all from before the line
	beyond  string // put only: what was written after the line anyway
}

func (e *lineError) Error() string {
	cause := e.err.Error()
	var ce *client.Error
	if errors.As(e.err, &ce) {
		cause = ce.Message + " (refused by the server)"
		if !client.IsRefused(ce) {
			cause = ce.Message + " (the server failed)"
		}
	}
	if e.beyond != "" {
		return fmt.Sprintf("line %d: %s; stopped there: %s from the lines before it written; %s",
			e.line, cause, cliutil.Plural64(e.written, "record", "records"), e.beyond)
	}
	return fmt.Sprintf("line %d: %s; stopped there: %s from the lines before it written, nothing from it on",
		e.line, cause, cliutil.Plural64(e.written, "record", "records"))
}

func (e *lineError) Unwrap() error { return e.err }

func newLoader(rc *client.Stream, coll string, upsert bool, maxRecs, maxBytes, window int) *loader {
	l := &loader{
		rc:       rc,
		coll:     jsonString(coll),
		verb:     "insert",
		maxRecs:  maxRecs,
		maxBytes: maxBytes,
		window:   window,
		free:     make(chan *batch, window+2),
	}
	if upsert {
		l.verb = "put"
		l.putIDs = map[string]struct{}{}
	}
	l.start()
	return l
}

// start runs the reader goroutine of a new pipeline.
func (l *loader) start() {
	l.inflight = make(chan *batch, l.window)
	l.open = true
	l.stopped.Store(false)
	l.fatal, l.retained = nil, nil
	l.wg.Go(func() {
		var scratch []byte
		for b := range l.inflight {
			if l.fatal != nil {
				b.err = l.fatal
			} else {
				scratch, b.err = l.rc.AppendReceive(scratch[:0])
				if b.err != nil {
					var ce *client.Error
					if !errors.As(b.err, &ce) {
						l.fatal = b.err
					}
				}
			}
			if b.err != nil {
				l.stopped.Store(true)
			}
			if l.stopped.Load() {
				l.retained = append(l.retained, b)
				continue
			}
			l.written.Add(int64(len(b.recs)))
			select {
			case l.free <- b:
			default:
			}
		}
	})
}

// add appends a checked record from line of the input; id is where its
// id is in rec.
func (l *loader) add(rec []byte, id span, line int64) error {
	if l.cur != nil && l.putIDs != nil {
		if _, dup := l.putIDs[idKey(rec[id.from:id.to])]; dup {
			// put refuses an id twice in one batch; in two batches the
			// later record wins, as it would in the input.
			if err := l.dispatch(); err != nil {
				return err
			}
		}
	}
	if l.cur != nil && len(l.cur.req)+len(rec) > l.maxBytes && len(l.cur.recs) > 0 {
		if err := l.dispatch(); err != nil {
			return err
		}
	}
	if l.cur == nil {
		l.cur = l.newBatch()
	}
	b := l.cur
	if len(b.recs) > 0 {
		b.req = append(b.req, ',')
	}
	from := len(b.req)
	b.req = append(b.req, rec...)
	b.recs = append(b.recs, span{from, len(b.req)})
	b.ids = append(b.ids, span{from + id.from, from + id.to})
	b.lines = append(b.lines, line)
	if l.putIDs != nil {
		l.putIDs[idKey(rec[id.from:id.to])] = struct{}{}
	}
	if len(b.recs) >= l.maxRecs {
		return l.dispatch()
	}
	return nil
}

func (l *loader) newBatch() *batch {
	var b *batch
	select {
	case b = <-l.free:
		b.req, b.recs, b.ids, b.lines, b.err = b.req[:0], b.recs[:0], b.ids[:0], b.lines[:0], nil
	default:
		b = &batch{req: make([]byte, 0, 64<<10)}
	}
	b.req = append(b.req, `["`+l.verb+`",`...)
	b.req = append(b.req, l.coll...)
	b.req = append(b.req, ",["...)
	return b
}

// dispatch sends the current batch. If the pipeline has stopped on a batch
// not written, it first recovers (see loader).
func (l *loader) dispatch() error {
	b := l.cur
	l.cur = nil
	clear(l.putIDs)
	if b == nil || len(b.recs) == 0 {
		return nil
	}
	b.req = append(b.req, "]]"...)
	if l.stopped.Load() {
		if err := l.recover(); err != nil {
			return err
		}
	}
	l.inflight <- b
	if err := l.rc.Send(b.req); err != nil {
		return err
	}
	return l.rc.Flush()
}

// finish sends what is left and waits for every answer.
func (l *loader) finish() error {
	if err := l.dispatch(); err != nil {
		return err
	}
	l.stop()
	if l.stopped.Load() {
		if err := l.recoverStopped(); err != nil {
			return err
		}
	}
	return nil
}

// stop closes the pipeline and waits for its reader.
func (l *loader) stop() {
	if l.open {
		l.open = false
		close(l.inflight)
		l.wg.Wait()
	}
}

// abort ends the pipeline after an error: it closes the connection, which
// unblocks the reader, and waits for it.
func (l *loader) abort() {
	if l.open {
		l.rc.Close()
		l.stop()
	}
}

// recover stops the pipeline, repairs, and starts it again.
func (l *loader) recover() error {
	l.stop()
	if err := l.recoverStopped(); err != nil {
		return err
	}
	l.start()
	return nil
}

// recoverStopped handles the batches kept by a stopped pipeline: see
// loader. It returns nil if they all got written after all.
func (l *loader) recoverStopped() error {
	kept := l.retained
	l.retained = nil
	if l.fatal != nil {
		return fmt.Errorf("%w (%s written; the batches in flight may or may not have been)",
			l.fatal, cliutil.Plural64(l.written.Load(), "record", "records"))
	}
	// Undo the batches written after the first one refused.
	var beyond int64
	var undo []*batch
	for _, b := range kept[1:] {
		if b.err == nil {
			undo = append(undo, b)
			beyond += int64(len(b.recs))
		}
	}
	if l.verb == "insert" {
		if err := l.undo(undo); err != nil {
			return err
		}
		beyond = 0
	} else {
		l.written.Add(beyond)
	}
	for i, b := range kept {
		if l.verb == "put" && i > 0 && b.err == nil {
			continue // written, and put cannot be undone
		}
		bad, err := l.salvage(b)
		if err == nil {
			continue
		}
		var ce *client.Error
		if errors.As(err, &ce) && client.IsRefused(ce) && bad >= 0 {
			le := &lineError{line: b.lines[bad], err: err, written: l.written.Load() - beyond}
			if beyond > 0 {
				le.beyond = fmt.Sprintf("%s from later lines, sent before the refusal came back, stay written (--upsert cannot undo them)",
					cliutil.Plural64(beyond, "record", "records"))
			}
			return le
		}
		return fmt.Errorf("lines %d-%d: %w (%s written before them)", b.lines[0], b.lines[len(b.lines)-1],
			err, cliutil.Plural64(l.written.Load(), "record", "records"))
	}
	return nil
}

// undo deletes the records of batches that were inserted.
func (l *loader) undo(bs []*batch) error {
	var ids []byte
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		q := `["delete",` + l.coll + `,{"where":["in","id",[` + string(ids) + `]]}]`
		ids, n = ids[:0], 0
		_, err := l.rc.Query([]byte(q))
		return err
	}
	for _, b := range bs {
		for _, s := range b.ids {
			if n > 0 {
				ids = append(ids, ',')
			}
			ids = append(ids, b.req[s.from:s.to]...)
			if n++; n == 1000 {
				if err := flush(); err != nil {
					return fmt.Errorf("undoing the batches sent after a refused one: %w", err)
				}
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("undoing the batches sent after a refused one: %w", err)
	}
	return nil
}

// salvage writes the records of b one range at a time, bisecting ranges
// the server refuses, until every record is written (it returns -1, nil)
// or one record is refused on its own: it returns its index and the
// server's error, with the records before it written.
func (l *loader) salvage(b *batch) (int, error) {
	start, n := 0, len(b.recs)
	for start < n {
		err := l.writeRange(b, start, n)
		if err == nil {
			return -1, nil
		}
		if !client.IsRefused(err) {
			return start, err
		}
		lo, hi := start, n
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			switch err := l.writeRange(b, lo, mid); {
			case err == nil:
				lo = mid
			case client.IsRefused(err):
				hi = mid
			default:
				return lo, err
			}
		}
		if err := l.writeRange(b, lo, lo+1); err != nil {
			return lo, err
		}
		start = lo + 1
	}
	return -1, nil
}

// writeRange sends the records [lo, hi) of b as one batch and waits.
func (l *loader) writeRange(b *batch, lo, hi int) error {
	q := make([]byte, 0, b.recs[hi-1].to-b.recs[lo].from+64)
	q = append(q, `["`+l.verb+`",`...)
	q = append(q, l.coll...)
	q = append(q, ",["...)
	q = append(q, b.req[b.recs[lo].from:b.recs[hi-1].to]...)
	q = append(q, "]]"...)
	v, err := l.rc.Query(q)
	if err != nil {
		return err
	}
	if n, _ := strconv.Atoi(string(v)); n != hi-lo {
		return fmt.Errorf("%s of %d records answered %s", l.verb, hi-lo, v)
	}
	l.written.Add(int64(hi - lo))
	return nil
}
