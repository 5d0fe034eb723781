package aof

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

const (
	// rewriteSuffix names the temporary file of a rewrite: the log's path plus this suffix.
	rewriteSuffix = ".rewrite"

	// catchUpThreshold: Commit copies the log's new tail without blocking Append until less
	// than this much is left; the rest is copied while holding the append lock.
	catchUpThreshold = 256 << 10

	// catchUpRounds bounds the copying rounds without the lock, for a writer that appends
	// as fast as Commit copies.
	catchUpRounds = 8

	rewriteBufferSize = 1 << 20
)

// rewritePath returns the path of the temporary file of a rewrite of the log at path.
func rewritePath(path string) string { return path + rewriteSuffix }

// Rewrite is a compaction of the log in progress: a new file holding a snapshot of the
// database as one batch, followed by the log's records appended since BeginRewrite. It
// replaces the log when committed.
//
// Concurrency: a Rewrite's methods are called by one goroutine (the compactor), one at a
// time, concurrently with Log.Append on the writer's goroutine.
type Rewrite struct {
	l     *Log
	path  string        // temporary file
	f     File          // temporary file
	w     *bufio.Writer // buffers writes to f
	old   File          // the log file at BeginRewrite
	start int64         // end of the log at BeginRewrite: the state the snapshot reflects

	held    []byte // the last snapshot record, framed once we know whether it is the last
	hasHeld bool
	ended   bool  // EndSnapshot was called
	size    int64 // bytes in the new file, written or buffered
	copied  int64 // offset in the old log up to which its tail was copied
	records int64 // snapshot records
	err     error // set when the rewrite failed or finished; later calls return it
	hdr     [frameHeaderSize]byte
}

// BeginRewrite starts a compaction. It must be called by the writer between two Appends: it
// records the current end of the log, which must be the position the caller's snapshot
// reflects, and creates the temporary file (the log's path plus ".rewrite") with a fresh
// header. Only one rewrite runs at a time (ErrRewriteInProgress).
func (l *Log) BeginRewrite() (*Rewrite, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	if fl := l.failure.Load(); fl != nil {
		return nil, fl.err
	}
	if !l.rewriting.CompareAndSwap(false, true) {
		return nil, ErrRewriteInProgress
	}
	path := rewritePath(l.path)
	f, err := l.fs.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		l.rewriting.Store(false)
		return nil, fmt.Errorf("aof: rewrite: create %s: %w", path, err)
	}
	r := &Rewrite{l: l, path: path, f: f, w: bufio.NewWriterSize(f, rewriteBufferSize), old: l.f}
	r.start = l.size.Load()
	r.copied = r.start
	h := fileHeader(l.headerFlags())
	if err := r.write(h[:]); err != nil {
		r.abort()
		return nil, err
	}
	return r, nil
}

// Start returns the end offset of the log at BeginRewrite.
func (r *Rewrite) Start() int64 { return r.start }

// Write appends one snapshot record to the temporary file. Writes are buffered and not
// fsynced. It may run concurrently with Log.Append.
func (r *Rewrite) Write(rec []byte) error {
	if r.err != nil {
		return r.err
	}
	if r.ended {
		return errors.New("aof: rewrite: Write after EndSnapshot")
	}
	if len(rec) > MaxRecordSize {
		return fmt.Errorf("%w: snapshot record has %d bytes (max %d)", ErrTooLarge, len(rec), MaxRecordSize)
	}
	if r.hasHeld {
		if err := r.writeFrame(r.held, false); err != nil {
			return err
		}
	}
	r.held = append(r.held[:0], rec...)
	r.hasHeld = true
	r.records++
	return nil
}

// EndSnapshot marks the end of the snapshot records: they form one batch, replayed whole or
// not at all. An empty snapshot writes nothing. Commit calls it if the caller did not.
func (r *Rewrite) EndSnapshot() error {
	if r.err != nil {
		return r.err
	}
	if r.ended {
		return nil
	}
	r.ended = true
	if r.hasHeld {
		r.hasHeld = false
		if err := r.writeFrame(r.held, true); err != nil {
			return err
		}
	}
	r.held = nil
	return nil
}

// Commit finishes the rewrite: it copies the log's records appended since BeginRewrite into
// the new file (most of them without blocking Append, the last part while holding the append
// lock), fsyncs the new file, renames it over the log, fsyncs the directory and switches the
// Log to append to the new file. The snapshot and most of the tail are written and fsynced
// before Commit takes the append lock; Append is blocked only for the final catch-up, its
// fsync, the rename and the directory fsync.
//
// If Commit fails before the rename, the temporary file is removed and the log goes on
// unchanged. If the directory fsync after the rename fails, the log fails permanently
// (ErrFailed): after a crash the path names either the old or the new file, and both replay
// to the same state.
func (r *Rewrite) Commit() (err error) {
	if r.err != nil {
		return r.err
	}
	if err := r.EndSnapshot(); err != nil {
		return err
	}
	l := r.l
	defer func() {
		if err != nil && r.err == nil {
			r.abort()
		}
	}()

	for range catchUpRounds {
		end := l.size.Load()
		if end-r.copied < catchUpThreshold {
			break
		}
		if err := r.copyTail(end); err != nil {
			return err
		}
	}
	// Make the bulk durable before taking the lock, so that the fsync under the lock only
	// has the last catch-up to write. A failed fsync of the new file fails the rewrite, not
	// the log: the new file is not the log yet.
	if err := r.w.Flush(); err != nil {
		return fmt.Errorf("aof: rewrite: write %s: %w", r.path, err)
	}
	if err := l.timedSync(r.f); err != nil {
		return fmt.Errorf("aof: rewrite: fsync %s: %w", r.path, err)
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return fmt.Errorf("aof: rewrite: %w", ErrClosed)
	}
	if fl := l.failure.Load(); fl != nil {
		return fl.err
	}
	if err := r.copyTail(l.size.Load()); err != nil {
		return err
	}
	if err := r.w.Flush(); err != nil {
		return fmt.Errorf("aof: rewrite: write %s: %w", r.path, err)
	}
	if err := l.timedSync(r.f); err != nil {
		return fmt.Errorf("aof: rewrite: fsync %s: %w", r.path, err)
	}
	if err := l.fs.Rename(r.path, l.path); err != nil {
		return fmt.Errorf("aof: rewrite: rename: %w", err)
	}

	// The path now names the new file: switch to it whatever happens next.
	l.fileMu.Lock()
	l.f = r.f
	l.size.Store(r.size)
	l.switchFile(r.size)
	l.dirty.Store(false)
	l.fileMu.Unlock()
	r.err = ErrRewriteDone
	l.rewriting.Store(false)
	l.stats.rewrites.Add(1)
	oldErr := r.old.Close()
	if err := l.fs.SyncDir(filepath.Dir(l.path)); err != nil {
		return l.fail("fsync directory after rewrite", err)
	}
	if oldErr != nil {
		l.logger.Warn("aof: closing the replaced log file failed", "path", l.path, "err", oldErr.Error())
	}
	l.logger.Info("aof: rewrite committed", "path", l.path, "snapshot_records", r.records,
		"tail_bytes", r.copied-r.start, "size", r.size)
	return nil
}

// Abort gives the rewrite up and removes the temporary file. It returns nil on a rewrite that
// already finished, so it can be deferred.
func (r *Rewrite) Abort() error {
	if r.err != nil {
		return nil
	}
	return r.abort()
}

// abort closes and removes the temporary file and ends the rewrite.
func (r *Rewrite) abort() error {
	r.err = ErrRewriteDone
	r.held = nil
	cerr := r.f.Close()
	rerr := r.l.fs.Remove(r.path)
	r.l.rewriting.Store(false)
	if rerr != nil {
		return fmt.Errorf("aof: rewrite: remove %s: %w", r.path, rerr)
	}
	if cerr != nil {
		return fmt.Errorf("aof: rewrite: close %s: %w", r.path, cerr)
	}
	return nil
}

// writeFrame writes one snapshot record's frame.
func (r *Rewrite) writeFrame(rec []byte, end bool) error {
	putFrameHeader(r.hdr[:], rec, end)
	if err := r.write(r.hdr[:]); err != nil {
		return err
	}
	return r.write(rec)
}

// write writes b to the temporary file through the buffer.
func (r *Rewrite) write(b []byte) error {
	n, err := r.w.Write(b)
	r.size += int64(n)
	if err != nil {
		r.abort()
		r.err = fmt.Errorf("aof: rewrite: write %s: %w", r.path, err)
		return r.err
	}
	return nil
}

// copyTail copies the old log from r.copied to end into the new file. Every byte below the
// log's size is completely written, so this may run concurrently with Append.
func (r *Rewrite) copyTail(end int64) error {
	if end <= r.copied {
		return nil
	}
	n, err := io.Copy(r.w, io.NewSectionReader(r.old, r.copied, end-r.copied))
	r.copied += n
	r.size += n
	if err != nil {
		return fmt.Errorf("aof: rewrite: copy the log's tail: %w", err)
	}
	return nil
}
