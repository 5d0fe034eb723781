package fleetdb

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"syscall"

	"github.com/fleetdb-go/fleetdb/aof"
	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/query"
)

// Log records: a write is 'Q' followed by the query's JSON exactly as it was
// received; a compaction writes the snapshot records of package dbvalue
// (their own type bytes) as the first batch of the new log.
const recQuery = 'Q'

// openLog opens the log at opts.Path and replays it into one transaction:
// the snapshot (if the log was compacted) is loaded with builders, then
// every logged write is applied again with query.Apply.
func (db *DB) openLog() error {
	var (
		loader  *dbvalue.Loader
		txn     = dbvalue.Empty().Begin()
		n       int
		records int
	)
	replay := func(rec []byte) error {
		n++
		switch {
		case len(rec) > 0 && rec[0] == recQuery:
			if loader != nil {
				return fmt.Errorf("fleetdb: log record %d: a write inside the snapshot", n)
			}
			// The log holds only writes that were parsed and applied before,
			// behind a checksum.
			q, err := query.ParseTrusted(rec[1:])
			if err != nil {
				return fmt.Errorf("fleetdb: log record %d: %w", n, err)
			}
			if _, err := query.Apply(nil, txn, q, &db.env); err != nil {
				return fmt.Errorf("fleetdb: log record %d (%s) no longer applies: %w", n, q.Name(), err)
			}
			txn.SetSeq(txn.Seq() + 1) // positions count the writes (writer.go)
			records++
		case dbvalue.IsSnapshotRecord(rec):
			if rec[0] == 'H' {
				loader = &dbvalue.Loader{}
			}
			if loader == nil {
				return fmt.Errorf("fleetdb: log record %d: snapshot record without a header", n)
			}
			if err := loader.Add(rec); err != nil {
				return fmt.Errorf("fleetdb: log record %d: %w", n, err)
			}
			if rec[0] == 'E' {
				v, err := loader.Value()
				if err != nil {
					return err
				}
				txn, loader = v.Begin(), nil
			}
		default:
			return fmt.Errorf("fleetdb: log record %d: unknown record type", n)
		}
		return nil
	}
	if db.opts.FS == nil {
		unlock, err := lockFile(db.opts.Path)
		if err != nil {
			return err
		}
		db.unlock = unlock
	}
	// Replay builds the whole database at once: collect garbage less often
	// meanwhile (the setting is process-wide and restored right after).
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	l, err := aof.Open(db.opts.Path, aof.Options{Sync: db.opts.Sync, FS: db.opts.FS, Logger: db.log}, replay)
	if err != nil {
		db.releaseLock()
		return err
	}
	if loader != nil {
		l.Close()
		db.releaseLock()
		return fmt.Errorf("fleetdb: %s: the log ends inside a snapshot", db.opts.Path)
	}
	db.aof = l
	v := txn.Commit()
	db.cur.Store(v)
	db.hub.reset(v)
	db.compactBase.Store(l.Size())
	db.log.Info("fleetdb: log replayed", "path", db.opts.Path, "records", n, "writes", records, "bytes", l.Size())
	return nil
}

// logWrite queues the log record of one of the batch's successful writes.
func (w *writer) logWrite(req []byte) {
	start := len(w.buf)
	w.buf = append(w.buf, recQuery)
	w.buf = append(w.buf, req...)
	w.spans = append(w.spans, [2]int{start, len(w.buf)})
}

// Persist appends the batch's successful writes to the log as one batch
// (one fsync under SyncAlways).
func (w *writer) Persist(batch []*writeReq) error {
	if w.db.aof == nil || len(w.spans) == 0 {
		return nil
	}
	w.recs = w.recs[:0]
	for _, s := range w.spans {
		w.recs = append(w.recs, w.buf[s[0]:s[1]])
	}
	if err := w.db.aof.Append(w.recs); err != nil {
		return unavailable("fleetdb: the log failed, writes are refused", err)
	}
	return nil
}

// lockFile takes an exclusive lock on path+".lock" so that two processes
// never append to the same log. The lock is released when the process
// exits or by the returned function.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("fleetdb: lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("fleetdb: %s is in use by another process (locked %s.lock)", path, path)
		}
		return nil, fmt.Errorf("fleetdb: lock file: %w", err)
	}
	return func() { f.Close() }, nil
}

func (db *DB) releaseLock() {
	if db.unlock != nil {
		db.unlock()
		db.unlock = nil
	}
}
