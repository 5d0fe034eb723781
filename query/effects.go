package query

import "github.com/tidwall/gjson"

// Effects collects the writes that a user command (or an ad-hoc
// transaction of the embedding API) made, as queries that make the same
// changes without the command's code. A write the command ran as text
// (Tx.Run) is collected as that text; a write reached otherwise (a
// parsed query, a multi-write holding a call) as its changes: inserted and
// updated records as insert and put of the resulting records, deletions by
// id, index and collection changes as themselves. The log records a call
// as these writes, so that replaying it needs no user code (docs/durability.md).
//
// An Apply with Env.Effects set adds the effect of every primitive write
// that succeeds; a write rolled back (a failed multi-write, checked-write
// or command) takes its effects with it. The zero Effects is empty and
// ready to use. It is used by one goroutine (the writer).
type Effects struct {
	qs []string
}

// Len returns the number of writes collected.
func (e *Effects) Len() int { return len(e.qs) }

// Reset empties e.
func (e *Effects) Reset() { e.qs = e.qs[:0] }

// truncate drops the writes collected after the first n.
func (e *Effects) truncate(n int) { e.qs = e.qs[:n] }

// AppendQuery appends one write query that makes all the collected
// changes: the single write itself, or a multi-write of them (an empty
// multi-write when nothing changed).
func (e *Effects) AppendQuery(dst []byte) []byte {
	if len(e.qs) == 1 {
		return append(dst, e.qs[0]...)
	}
	dst = append(dst, `["multi-write",[`...)
	for i, q := range e.qs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, q...)
	}
	return append(dst, "]]"...)
}

func (e *Effects) add(parts ...string) {
	n := 2
	for _, p := range parts {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, p := range parts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, p...)
	}
	e.qs = append(e.qs, string(append(b, ']')))
}

// records appends the records' JSON as one array.
func recordsArray(recs []string) string {
	n := 2
	for _, r := range recs {
		n += len(r) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, r := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r...)
	}
	return string(append(b, ']'))
}

func (e *Effects) insert(name, coll string, recs []Record) {
	if len(recs) == 0 {
		return
	}
	js := make([]string, len(recs))
	for i, r := range recs {
		js[i] = r.JSON
	}
	e.add(quoteJSON(name), quoteJSON(coll), recordsArray(js))
}

func (e *Effects) put(coll string, recs []string) {
	if len(recs) > 0 {
		e.add(`"put"`, quoteJSON(coll), recordsArray(recs))
	}
}

// delete records the deletion of the records (their JSON, before).
func (e *Effects) delete(coll string, old []string) {
	if len(old) == 0 {
		return
	}
	ids := make([]string, len(old))
	for i, r := range old {
		ids[i] = gjson.Get(r, "id").Raw
	}
	e.add(`"delete"`, quoteJSON(coll), `{"where":["in","id",`+recordsArray(ids)+`]}`)
}

func (e *Effects) index(name, coll, spec string) {
	e.add(quoteJSON(name), quoteJSON(coll), spec)
}

func (e *Effects) dropCollection(coll string) {
	e.add(`"drop-collection"`, quoteJSON(coll))
}

func (e *Effects) clear(n int) {
	if n > 0 {
		e.add(`"clear"`)
	}
}

// effectsOf returns the collector of env, or nil.
func effectsOf(env *Env) *Effects {
	if env == nil {
		return nil
	}
	return env.Effects
}

// mark returns the number of effects collected so far (0 without a
// collector), for a rollback to truncate to.
func (e *Effects) mark() int {
	if e == nil {
		return 0
	}
	return len(e.qs)
}

func (e *Effects) rollback(n int) {
	if e != nil {
		e.truncate(n)
	}
}

// UsesCommand reports whether running q calls a user-defined command (q is
// a call, or a multi-write or checked-write holding one). Such a write is
// logged as its effects.
func UsesCommand(q Query) bool {
	switch q := q.(type) {
	case Call:
		return true
	case MultiWrite:
		for _, in := range q.Queries {
			if UsesCommand(in) {
				return true
			}
		}
	case CheckedWrite:
		return UsesCommand(q.Write)
	}
	return false
}

// CommandNames returns the names of the commands q calls directly (not
// those a command calls in turn), in order.
func CommandNames(q Query) []string {
	switch q := q.(type) {
	case Call:
		return []string{q.Command}
	case MultiWrite:
		var names []string
		for _, in := range q.Queries {
			names = append(names, CommandNames(in)...)
		}
		return names
	case CheckedWrite:
		return CommandNames(q.Write)
	}
	return nil
}
