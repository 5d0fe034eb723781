package fleetdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync"
	"time"

	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/query"
)

// Pinned snapshots (docs/changefeeds.md): a pin is a reference to a published value,
// so it costs only the nodes that later writes replace, and never stops a
// writer. Pins expire ttl after their last use; expired pins are swept
// whenever the pins are consulted (open, read, close, info), so no
// goroutine is needed.
type pins struct {
	max int
	now func() time.Time

	// mu guards m.
	mu sync.Mutex
	m  map[string]*pin
}

type pin struct {
	v       *dbvalue.Value
	ttl     time.Duration
	expires time.Time
}

// ErrTooManySnapshots is the status-2 failure of a snapshot-open past
// Options.MaxSnapshots.
var ErrTooManySnapshots = &unavailableError{msg: "too many open snapshots"}

func newPins(max int) *pins {
	if max == 0 {
		max = DefaultMaxSnapshots
	}
	return &pins{max: max, now: time.Now, m: map[string]*pin{}}
}

// sweep forgets the expired pins. p.mu is held.
func (p *pins) sweep(now time.Time) {
	for id, pn := range p.m {
		if !now.Before(pn.expires) {
			delete(p.m, id)
		}
	}
}

func (p *pins) open(v *dbvalue.Value, ttl time.Duration) (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", unavailable("fleetdb: snapshot id", err)
	}
	id := hex.EncodeToString(b[:])
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sweep(now)
	if len(p.m) >= p.max {
		return "", ErrTooManySnapshots
	}
	p.m[id] = &pin{v: v, ttl: ttl, expires: now.Add(ttl)}
	return id, nil
}

// get returns the pinned value and extends its life.
func (p *pins) get(id string) (*dbvalue.Value, error) {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sweep(now)
	pn, ok := p.m[id]
	if !ok {
		return nil, unknownSnapshot(id)
	}
	pn.expires = now.Add(pn.ttl)
	return pn.v, nil
}

func (p *pins) close(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sweep(p.now())
	_, ok := p.m[id]
	delete(p.m, id)
	return ok
}

func (p *pins) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sweep(p.now())
	return len(p.m)
}

func unknownSnapshot(id string) error {
	return &query.Error{Kind: query.KindMalformedQuery, Msg: "Unknown snapshot: " + id}
}

// pinnedQuery answers snapshot-open, snapshot-read and snapshot-close.
func (db *DB) pinnedQuery(ctx context.Context, q query.Query) ([]byte, error) {
	switch q := q.(type) {
	case query.SnapshotOpen:
		if db.repl != nil {
			if err := db.repl.ReadBarrier(ctx); err != nil {
				return nil, err
			}
		}
		v := db.cur.Load()
		id, err := db.pins.open(v, time.Duration(q.TTL)*time.Second)
		if err != nil {
			return nil, err
		}
		out := append([]byte(`{"snapshot":"`), id...)
		out = append(out, `","position":`...)
		out = strconv.AppendUint(out, v.Seq, 10)
		return append(out, '}'), nil
	case query.SnapshotRead:
		v, err := db.pins.get(q.ID)
		if err != nil {
			return nil, err
		}
		return query.Execute(nil, v, q.Query, &db.env)
	case query.SnapshotClose:
		return strconv.AppendBool(nil, db.pins.close(q.ID)), nil
	}
	return nil, &query.Error{Kind: query.KindMalformedQuery, Msg: "Malformed query: " + q.Name() + " needs a connection (in Go, use DB.Watch)"}
}
