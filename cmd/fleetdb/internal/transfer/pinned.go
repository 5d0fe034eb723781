package transfer

import (
	"encoding/json"
	"fmt"
	"github.com/fleetdb-go/fleetdb/client"
	"strconv"

	"github.com/tidwall/gjson"
)

// pinned is a pinned snapshot on the server (docs/changefeeds.md) read through a
// rawConn: backup and export read one consistent value in pages, each page
// a snapshot-read of the records after the last id read, which the server
// serves from its record map at the cost of the page. The server keeps
// nothing per reader but the pin; the pin costs only the nodes that later
// writes replace.
type pinned struct {
	rc *client.Stream
	id string // JSON string
	// Position is the position (docs/changefeeds.md) of the pinned value.
	position uint64
}

// pinTTL is the pin's life after its last use, in seconds: long enough for
// a slow consumer between two pages.
const pinTTL = 600

func openPinned(rc *client.Stream) (*pinned, error) {
	v, err := rc.Query(json.RawMessage(`["snapshot-open",` + strconv.Itoa(pinTTL) + `]`))
	if err != nil {
		return nil, err
	}
	var ans struct {
		Snapshot string `json:"snapshot"`
		Position uint64 `json:"position"`
	}
	if json.Unmarshal(v, &ans) != nil || ans.Snapshot == "" {
		return nil, fmt.Errorf("snapshot-open answered %.64s", v)
	}
	return &pinned{rc: rc, id: jsonString(ans.Snapshot), position: ans.Position}, nil
}

// read wraps a read query for the pinned value.
func (p *pinned) read(q string) []byte {
	return []byte(`["snapshot-read",` + p.id + `,` + q + `]`)
}

// query runs a small read on the pinned value.
func (p *pinned) query(q string) (json.RawMessage, error) {
	return p.rc.Query(json.RawMessage(p.read(q)))
}

// close releases the pin (best effort: it expires anyway).
func (p *pinned) close() error {
	_, err := p.rc.Query(json.RawMessage(`["snapshot-close",` + p.id + `]`))
	return err
}

// The two id classes in id order (docs/query-language.md: numbers before strings), each
// with a condition that starts it; after a record, the next page is the ids
// greater than its id within the same class. A range condition on id is an
// index-range on the record map, so each page costs its own size.
var idClasses = [...]string{
	`[">=","id",-1.7976931348623157e308]`,
	`[">=","id",""]`,
}

// pager reads the records of one collection of a pinned value in id order.
type pager struct {
	p     *pinned
	coll  string          // JSON string
	where json.RawMessage // nil: every record
	page  func() int      // the size of the next page
	rec   []byte
}

// each calls fn with every record (the slice is reused: fn must copy what
// it keeps) and returns how many there were.
func (g *pager) each(fn func(rec []byte) error) (int64, error) {
	var n int64
	for _, start := range idClasses {
		cond := start
		for {
			limit := g.page()
			q := `["select",` + g.coll + `,{"where":` + g.cond(cond) + `,"order":["id","asc"],"limit":` + strconv.Itoa(limit) + `}]`
			got, last, err := g.read(q, fn)
			n += int64(got)
			if err != nil {
				return n, err
			}
			if got < limit {
				break
			}
			cond = `[">","id",` + last + `]`
		}
	}
	return n, nil
}

func (g *pager) cond(idCond string) string {
	if g.where == nil {
		return idCond
	}
	return `["and",` + string(g.where) + `,` + idCond + `]`
}

// read runs one page and streams its records to fn; it returns their
// number and the id (JSON) of the last one.
func (g *pager) read(q string, fn func([]byte) error) (got int, lastID string, err error) {
	rc := g.p.rc
	if err := rc.Send(json.RawMessage(g.p.read(q))); err != nil {
		return 0, "", err
	}
	if err := rc.Flush(); err != nil {
		return 0, "", err
	}
	a, err := rc.Answer()
	if err != nil {
		return 0, "", err
	}
	if err := a.Expect('['); err != nil {
		return 0, "", err
	}
	first := true
	for {
		more, err := a.Next(&first)
		if err != nil {
			return got, "", err
		}
		if !more {
			break
		}
		if g.rec, err = a.Value(g.rec[:0]); err != nil {
			return got, "", err
		}
		if err := fn(g.rec); err != nil {
			return got, "", err
		}
		got++
	}
	if got > 0 {
		lastID = gjson.GetBytes(g.rec, "id").Raw
	}
	return got, lastID, a.End()
}
