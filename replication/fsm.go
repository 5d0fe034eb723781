package replication

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"sync/atomic"

	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/query"
	"github.com/hashicorp/raft"
)

// fsm is the Raft state machine: the database value, the members' client
// addresses, and the progress of both.
//
// Raft calls Apply, ApplyBatch and Snapshot from its one FSM goroutine, and
// Restore while nothing else runs (at start, or on that same goroutine to
// install a snapshot); so v needs no lock. The snapshot's Persist runs on
// another goroutine concurrently with later applies: it only reads the
// immutable value it was given. Readers on any goroutine use the members
// pointer and the progress.
type fsm struct {
	env     *query.Env
	publish func(*dbvalue.Value)
	changes func([]dbvalue.Step, *dbvalue.Value, bool) // nil: none
	log     *slog.Logger

	// v is the current value; the FSM goroutine only.
	v *dbvalue.Value
	// last is the last batch's transaction, whose storage the next one
	// reuses (dbvalue.Value.BeginStepsIn); the FSM goroutine only.
	last *dbvalue.Txn

	// members maps node id → client address. Replaced whole (copy on
	// write) by the FSM goroutine; read by anyone.
	members atomic.Pointer[map[string]string]

	progress *progress
	// applied is the index and term of the last entry applied (nil after
	// a restore, until the next entry): commit notices announce it.
	applied atomic.Pointer[appliedEntry]
	// restores counts snapshots restored (tests, info).
	restores atomic.Int64
	// batches and entries count ApplyBatch calls and the entries they got.
	batches, entries atomic.Int64
}

var _ raft.BatchingFSM = (*fsm)(nil)

func newFSM(env *query.Env, publish func(*dbvalue.Value), log *slog.Logger) *fsm {
	f := &fsm{env: env, publish: publish, log: log, v: dbvalue.Empty(), progress: newProgress()}
	empty := map[string]string{}
	f.members.Store(&empty)
	publish(f.v)
	return f
}

// Apply applies one committed entry (raft calls ApplyBatch instead; this is
// for the raft.FSM interface).
func (f *fsm) Apply(l *raft.Log) any { return f.ApplyBatch([]*raft.Log{l})[0] }

// ApplyBatch applies committed entries in order: every write of every
// writes entry goes into one transaction over the current value, the result
// is published once, with Seq set to the last entry's index. It returns one
// response per entry: an *entryResult for a writes entry, an error for an
// entry it cannot decode, nil otherwise.
func (f *fsm) ApplyBatch(logs []*raft.Log) []any {
	res := make([]any, len(logs))
	f.batches.Add(1)
	f.entries.Add(int64(len(logs)))
	var (
		txn     *dbvalue.Txn
		members map[string]string
		term    uint64
	)
	for i, l := range logs {
		term = max(term, l.Term)
		if l.Type != raft.LogCommand || len(l.Data) == 0 {
			continue // configuration changes: raft keeps them itself
		}
		body := l.Data[1:]
		switch l.Data[0] {
		case entryWrites:
			if txn == nil {
				txn, f.last = f.v.BeginStepsIn(f.last), nil
			}
			res[i] = f.applyWrites(txn, l.Index, body)
			txn.Step(l.Index) // change feeds: each entry's changes at its index
		case entryMember:
			id, addr, err := decodeMember(body)
			if err != nil {
				res[i] = f.corrupt(l.Index, err)
				continue
			}
			if members == nil {
				members = maps.Clone(*f.members.Load())
			}
			if addr == "" {
				delete(members, id)
			} else {
				members[id] = addr
			}
		case entryLeader:
		default:
			res[i] = f.corrupt(l.Index, fmt.Errorf("%w: unknown entry type %q", ErrCorrupt, l.Data[0]))
		}
	}
	last := logs[len(logs)-1].Index
	if txn == nil {
		txn, f.last = f.v.BeginStepsIn(f.last), nil
	}
	txn.SetSeq(last)
	f.v = txn.Commit()
	if members != nil {
		f.members.Store(&members)
	}
	f.publish(f.v)
	if f.changes != nil {
		f.changes(txn.TakeSteps(), f.v, false)
	}
	f.last = txn
	f.applied.Store(&appliedEntry{index: last, term: logs[len(logs)-1].Term})
	f.progress.set(last, term)
	return res
}

// applyWrites applies every write of one entry. Each request was parsed
// and validated by the member that accepted it before it went into the
// entry, and comes back unchanged from the log (checksummed by raft-wal
// and bolt) or the leader: it is parsed as trusted, without the checks of
// the JSON text (as log replay does). One that does not parse (only a
// member of another version could send it) is refused like any refused
// write.
func (f *fsm) applyWrites(txn *dbvalue.Txn, index uint64, body []byte) any {
	n, err := countWrites(body)
	if err != nil {
		return f.corrupt(index, err)
	}
	res := &entryResult{outs: make([][]byte, 0, n), errs: make([]error, 0, n)}
	err = eachWrite(body, func(req []byte) {
		q, err := query.ParseTrusted(req)
		var out []byte
		if err == nil {
			if !q.IsWrite() {
				err = &query.Error{Kind: query.KindMalformedQuery, Msg: "Malformed query: " + q.Name() + " is not a write"}
			} else {
				out, err = query.Apply(nil, txn, q, f.env)
			}
		}
		res.outs = append(res.outs, out)
		res.errs = append(res.errs, err)
	})
	if err != nil {
		return f.corrupt(index, err)
	}
	return res
}

func (f *fsm) corrupt(index uint64, err error) error {
	f.log.Error("replication: entry skipped", "index", index, "err", err)
	return fmt.Errorf("replication: entry %d: %w", index, err)
}

// Snapshot captures the current value and members in O(1); Persist writes
// them out later on another goroutine.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	return &fsmSnapshot{v: f.v, members: *f.members.Load()}, nil
}

// Restore replaces the state with a snapshot written by Persist.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	v, members, err := readSnapshot(rc)
	if err != nil {
		return err
	}
	f.v = v
	f.members.Store(&members)
	f.publish(v)
	if f.changes != nil {
		f.changes(nil, v, true)
	}
	f.applied.Store(nil)
	f.progress.set(v.Seq, 0)
	f.restores.Add(1)
	f.log.Info("replication: snapshot restored", "index", v.Seq, "collections", v.Len())
	return nil
}

// clientAddr returns the client address recorded for a member.
func (f *fsm) clientAddr(id string) string { return (*f.members.Load())[id] }
