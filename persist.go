package fleetdb

import (
	"errors"
	"fmt"
	"os"
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
// every logged write is applied again with query.Apply, on a goroutine of
// its own while this one reads and parses the next ones (replayer). With
// scan set, it
// only reads the log (no lock, no repair of a torn tail), reports what it
// found in *scan and keeps the value it replayed (CheckLog).
func (db *DB) openLog(scan *aof.Report) error {
	var (
		loader *dbvalue.Loader
		n      int
	)
	rp := newReplayer(dbvalue.Empty(), &db.env)
	finished := false
	finish := func() (*dbvalue.Txn, int, error) {
		finished = true
		return rp.finish()
	}
	defer func() {
		if !finished {
			rp.finish() // the applier is joined on every return
		}
	}()
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
			if err := db.checkCommands(n, q); err != nil {
				return err
			}
			if err := rp.write(n, q); err != nil {
				return err
			}
		case dbvalue.IsSnapshotRecord(rec):
			if dbvalue.StartsSnapshot(rec) {
				loader = &dbvalue.Loader{}
			}
			if loader == nil {
				return fmt.Errorf("fleetdb: log record %d: snapshot record without a header", n)
			}
			if err := loader.Add(rec); err != nil {
				return fmt.Errorf("fleetdb: log record %d: %w", n, err)
			}
			if loader.Done() {
				v, err := loader.Value()
				if err != nil {
					return err
				}
				rp.reset(v)
				loader = nil
			}
		default:
			return fmt.Errorf("fleetdb: log record %d: unknown record type", n)
		}
		return nil
	}
	if scan != nil {
		rep, err := aof.Scan(db.opts.Path, db.opts.fs, replay)
		*scan = rep
		txn, _, aerr := finish()
		if err == nil {
			err = aerr
		}
		if err != nil {
			return err
		}
		if loader != nil && rep.Corruption == nil && rep.TornBytes == 0 {
			return fmt.Errorf("fleetdb: %s: the log ends inside a snapshot", db.opts.Path)
		}
		db.cur.Store(txn.Commit())
		return nil
	}
	if db.opts.fs == nil {
		unlock, err := lockFile(db.opts.Path)
		if err != nil {
			return err
		}
		db.unlock = unlock
	}
	restoreGC := tuneReplayGC(db.opts.ReplayGCPercent)
	l, err := aof.Open(db.opts.Path, aof.Options{Sync: db.opts.Sync, FS: db.opts.fs, Logger: db.log, Preallocate: db.opts.preallocate()}, replay)
	txn, records, aerr := finish()
	restoreGC()
	if err == nil && aerr != nil {
		l.Close()
		err = aerr
	}
	if err != nil {
		db.releaseLock()
		return repairHint(db.opts.Path, err)
	}
	if loader != nil {
		l.Close()
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

// checkCommands refuses a logged write that calls a command the program has
// not registered. Logs written since calls are logged as their writes hold
// no calls; an older log may, and replays only with its commands.
func (db *DB) checkCommands(n int, q query.Query) error {
	if !query.UsesCommand(q) {
		return nil
	}
	for _, name := range query.CommandNames(q) {
		if _, ok := db.command(name); !ok {
			return fmt.Errorf("fleetdb: log record %d calls the command %q, which is not registered: "+
				"this log was written before calls were logged as the writes they made; open it once "+
				"with a program that registers %q in Options.Commands and compact it (DB.Compact, "+
				"or [\"compact\"]), which rewrites the log without calls", n, name, name)
		}
	}
	return nil
}

// logWrite queues the log record of one of the batch's successful writes.
func (w *writer) logWrite(req []byte) {
	w.logRecord(func(dst []byte) []byte { return append(dst, req...) })
}

// logRecord queues a write record whose query text appendQuery appends.
func (w *writer) logRecord(appendQuery func(dst []byte) []byte) {
	start := len(w.buf)
	w.buf = append(w.buf, recQuery)
	w.buf = appendQuery(w.buf)
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
		if errors.Is(err, aof.ErrTooLarge) { // nothing written, the log goes on
			return unavailable("fleetdb: a write's log record is too large; nothing of its batch was applied", err)
		}
		return logFailed(err)
	}
	return nil
}

// logFailed is the error of every write once the log has failed: the
// failure is permanent until the database is reopened, so the message says
// so rather than inviting a retry.
func logFailed(err error) error {
	return unavailable("fleetdb: the log failed; writes are refused until restart", err)
}

// lockFile takes an exclusive lock on path+".lock" so that two processes
// never append to the same log. The returned function removes the lock file
// and releases the lock (so a clean stop leaves nothing behind); the lock
// is also released when the process exits.
//
// Removing the file while a second opener may have it open is safe: a
// locker checks, once it holds the lock, that the file it locked is still
// the one at the path, and starts again if it was removed meanwhile.
func lockFile(path string) (func(), error) {
	name := path + ".lock"
	for attempt := 0; ; attempt++ {
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("fleetdb: lock file: %w", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("fleetdb: %s is in use by another process (locked %s)", path, name)
			}
			return nil, fmt.Errorf("fleetdb: lock file: %w", err)
		}
		held, herr := f.Stat()
		now, nerr := os.Stat(name)
		if herr == nil && nerr == nil && os.SameFile(held, now) {
			return func() {
				os.Remove(name)
				f.Close()
			}, nil
		}
		f.Close()
		if attempt == 10 {
			return nil, fmt.Errorf("fleetdb: lock file %s keeps being replaced", name)
		}
	}
}

func (db *DB) releaseLock() {
	if db.unlock != nil {
		db.unlock()
		db.unlock = nil
	}
}
