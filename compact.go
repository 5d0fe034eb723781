package fleetdb

import (
	"context"
	"time"

	"github.com/fleetdb-go/fleetdb/dbvalue"
)

// Compact starts a background compaction of the log (docs/durability.md): the current
// value is written as a snapshot into a new file while writes go on, the
// writes made meanwhile are appended, and the new file replaces the log.
// It reports false when the database is ephemeral or a compaction is
// already running. It does not wait for the compaction to finish.
func (db *DB) Compact(ctx context.Context) (bool, error) {
	if db.aof == nil {
		return false, nil
	}
	w := &writeReq{compact: true}
	if err := db.submit(ctx, w); err != nil {
		return false, err
	}
	return string(w.out) == "true", nil
}

// Compacting reports whether a compaction is running.
func (db *DB) Compacting() bool { return db.compacting.Load() }

// startCompaction begins a rewrite of the log. It runs on the writer's
// goroutine between two batches, where the published value reflects
// exactly the end of the log, which BeginRewrite records.
func (db *DB) startCompaction(reason string) bool {
	if db.aof == nil || db.compacting.Load() || db.aof.Err() != nil {
		return false
	}
	rw, err := db.aof.BeginRewrite()
	if err != nil {
		db.log.Error("fleetdb: compaction not started", "err", err)
		return false
	}
	v := db.cur.Load()
	db.compacting.Store(true)
	db.bg.Add(1)
	go db.compact(db.bgCtx, rw, v, reason)
	return true
}

// rewrite is the part of aof.Rewrite that compaction uses.
type rewrite interface {
	Write(rec []byte) error
	Commit() error
	Abort() error
}

// compact writes the snapshot of v and commits the rewrite. It runs on its
// own goroutine, owned by the DB (joined in Close), reading only the
// immutable value v, so the writer never waits for it except for the
// rewrite's final catch-up inside the log.
func (db *DB) compact(ctx context.Context, rw rewrite, v *dbvalue.Value, reason string) {
	defer db.bg.Done()
	defer db.compacting.Store(false)
	start := time.Now()
	before := db.aof.Size()
	err := v.WriteSnapshot(func(rec []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return rw.Write(rec)
	})
	if err == nil {
		err = rw.Commit()
	}
	if err != nil {
		rw.Abort()
		db.log.Error("fleetdb: compaction failed; the log goes on unchanged", "err", err)
		db.compactions.failed.Add(1)
		return
	}
	after := db.aof.Size()
	db.compactBase.Store(after)
	db.compactions.done.Add(1)
	db.log.Info("fleetdb: log compacted", "reason", reason, "before", before, "after", after, "took", time.Since(start))
}

// maybeAutoCompact starts a compaction when the log has grown past the
// configured multiple of its compacted size. Called by the writer after
// publishing a batch.
func (db *DB) maybeAutoCompact() {
	ratio := db.opts.AutoCompactRatio
	if ratio <= 0 || db.aof == nil || db.compacting.Load() {
		return
	}
	min := db.opts.AutoCompactMinBytes
	if min == 0 {
		min = 64 << 20
	}
	size := db.aof.Size()
	if size >= min && float64(size) > ratio*float64(db.compactBase.Load()) {
		db.startCompaction("auto")
	}
}
