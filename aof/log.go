package aof

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// maxRetainedBuffer caps the encoding buffer Append keeps between calls, so one huge batch
// does not pin its memory for the life of the log.
const maxRetainedBuffer = 4 << 20

// Log is an open append-only log.
//
// Concurrency: Append, BeginRewrite and Close are called by one goroutine at a time (the
// database's single writer). Sync, Size, Stats, Rewriting and Path may be called from any
// goroutine at any time, concurrently with an Append. A Rewrite runs on its own goroutine,
// concurrently with Append; only the final phase of Rewrite.Commit blocks Append. With
// SyncEverySec the Log owns a goroutine that fsyncs once a second; Close stops and joins it.
type Log struct {
	path   string
	fs     FS
	policy SyncPolicy
	logger *slog.Logger

	// mu serializes the writers of the file: Append, BeginRewrite, the final phase of
	// Rewrite.Commit, and Close.
	mu  sync.Mutex
	buf []byte // frame encoding buffer reused by Append

	// fileMu guards the identity of the current file: f and closed change only with both mu
	// and fileMu held, so holding either is enough to read them. Sync holds only fileMu
	// (shared), so a background fsync never waits for an Append to finish.
	fileMu sync.RWMutex
	f      File
	closed bool

	size      atomic.Int64 // file size; every byte below it is completely written
	dirty     atomic.Bool  // appended since the last fsync began
	rewriting atomic.Bool  // a Rewrite is between BeginRewrite and Commit/Abort
	failure   atomic.Pointer[failure]
	stats     counters

	za zeroAhead // preallocation (prealloc.go)

	cancel context.CancelFunc // stops the everysec and preallocation goroutines
	wg     sync.WaitGroup     // joins them
}

// failure is the permanent error of a failed log.
type failure struct{ err error }

// counters are the Stats, updated atomically.
type counters struct {
	appends, batches, records, bytes, fsyncs, fsyncNanos, rewrites atomic.Int64
}

// Stats are cumulative counters of a Log for metrics.
type Stats struct {
	Appends      int64         // Append calls that returned nil (including empty batches)
	Batches      int64         // non-empty batches written by Append
	Records      int64         // records written by Append
	BytesWritten int64         // bytes written by Append (records plus framing)
	Fsyncs       int64         // fsyncs of the log file, including the new file of a rewrite
	FsyncTime    time.Duration // total time spent in those fsyncs
	Rewrites     int64         // committed rewrites
	Size         int64         // current size of the log file
	Failed       bool          // the log has failed permanently (see ErrFailed)
}

// Open opens or creates the log at path, replays every record of every complete batch in
// order by calling replay(rec) (rec is only valid during the call), cuts off a torn tail, and
// returns the log positioned for appending. replay sees a batch only once all of it was
// validated, so it never sees a record of a torn batch; replay may be nil.
//
// Open fails with a *CorruptError (wrapping ErrCorrupt) on corruption unless opts.Repair is
// set, and with an error wrapping ErrVersion for a newer format. A replay error aborts Open
// and is returned wrapped with the record's offset. When Open fails, the file is left as it
// was, and the caller must discard what replay built (batches before the damage were
// replayed). A leftover temporary file of an unfinished rewrite is removed. With
// Options.Preallocate, Open writes the first round of zeros ahead itself (a failed fsync of
// them fails Open, a failed write only stops preallocation).
func Open(path string, opts Options, replay func(rec []byte) error) (*Log, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	if replay == nil {
		replay = func([]byte) error { return nil }
	}
	path = filepath.Clean(path)
	l := &Log{path: path, fs: opts.FS, policy: opts.Sync, logger: opts.Logger}
	if opts.Sync == SyncAlways && opts.Preallocate > 0 {
		l.za.chunk = opts.Preallocate
		l.za.kick = make(chan struct{}, 1)
	}

	switch err := l.fs.Remove(rewritePath(path)); {
	case err == nil:
		l.logger.Warn("aof: removed the temporary file of an unfinished rewrite", "path", rewritePath(path))
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("aof: remove stale rewrite file: %w", err)
	}

	f, err := l.fs.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("aof: open: %w", err)
	}
	if err := l.recover(f, opts.Repair, replay); err != nil {
		f.Close()
		return nil, err
	}
	l.f = f
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	if l.policy == SyncEverySec {
		l.wg.Add(1)
		go l.syncEverySecond(ctx)
	}
	if l.za.chunk > 0 {
		// The first round before the first append, so that it never waits on one.
		l.zeroRound()
		if err := l.Err(); err != nil {
			cancel()
			l.wg.Wait()
			f.Close()
			return nil, err
		}
		l.wg.Add(1)
		go l.preallocate(ctx)
	}
	return l, nil
}

// recover validates f, replays its complete batches, cuts off a torn tail (or, with repair,
// everything from the first corruption on), writes the header of a new file, and positions f
// for appending.
func (l *Log) recover(f File, repair bool, replay func([]byte) error) error {
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("aof: stat: %w", err)
	}
	size := info.Size()
	br := bufio.NewReaderSize(nil, int(min(max(size, 4096), readBufferSize)))
	res, err := walk(f, size, br, replay)
	if err != nil {
		return err
	}
	if res.corrupt != nil {
		if !repair || res.validEnd < FileHeaderSize {
			return res.corrupt
		}
		l.logger.Error("aof: repair: cutting the log at the batch holding the first corruption; everything after it is lost",
			"path", l.path, "corruption", res.corrupt.Error(), "offset", res.validEnd, "dropped_bytes", size-res.validEnd)
	}
	switch res.tornReason {
	case "":
	case ReasonWrittenAhead:
		// What any crash or kill of a preallocating log leaves: not a sign of damage.
		l.logger.Info("aof: cutting the zeros written ahead of the log's end (it was not closed)",
			"path", l.path, "offset", res.validEnd, "dropped_bytes", size-res.validEnd)
	default:
		l.logger.Warn("aof: cutting off a torn tail (a crash during an append)",
			"path", l.path, "offset", res.validEnd, "dropped_bytes", size-res.validEnd, "reason", res.tornReason)
	}

	end := res.validEnd
	switch {
	case end < FileHeaderSize: // a new file, or a crash while creating it
		if err := f.Truncate(0); err != nil {
			return fmt.Errorf("aof: truncate: %w", err)
		}
		if err := writeHeaderFlags(f, l.headerFlags(), FileHeaderSize); err != nil {
			return err
		}
		if err := l.fs.SyncDir(filepath.Dir(l.path)); err != nil {
			return fmt.Errorf("aof: fsync directory: %w", err)
		}
		res.flags = l.headerFlags()
		end = FileHeaderSize
	case end < size:
		if err := f.Truncate(end); err != nil {
			return fmt.Errorf("aof: truncate: %w", err)
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("aof: fsync: %w", err)
		}
	}
	// The header says whether bytes may be written ahead: set before the first round, cleared
	// by Close after cutting them (or here, for a log opened without preallocation).
	if res.flags != l.headerFlags() {
		if err := writeHeaderFlags(f, l.headerFlags(), end); err != nil {
			return err
		}
	}
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		return fmt.Errorf("aof: seek: %w", err)
	}
	l.size.Store(end)
	l.za.end.Store(end)
	return nil
}

// Append writes the records of one batch, the last one marked as the end of the batch, in
// one write. With SyncAlways it returns only after fsync. An empty batch writes nothing. A
// record longer than MaxRecordSize fails the whole batch with ErrTooLarge before anything is
// written. A failed write or fsync fails the log permanently (see ErrFailed).
//
// Append is called by one goroutine at a time; it may run concurrently with Sync, Size,
// Stats and a running Rewrite.
func (l *Log) Append(batch [][]byte) error {
	for i, rec := range batch {
		if len(rec) > MaxRecordSize {
			return fmt.Errorf("%w: record %d of the batch has %d bytes (max %d)", ErrTooLarge, i, len(rec), MaxRecordSize)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if fl := l.failure.Load(); fl != nil {
		return fl.err
	}
	if len(batch) == 0 {
		l.stats.appends.Add(1)
		return nil
	}
	buf := l.buf[:0]
	for i, rec := range batch {
		buf = appendFrame(buf, rec, i == len(batch)-1)
	}
	l.roomFor(int64(len(buf)))
	err := l.write(buf)
	if cap(buf) <= maxRetainedBuffer {
		l.buf = buf
	} else {
		l.buf = nil
	}
	if err != nil {
		return err
	}
	if l.policy == SyncAlways {
		if err := l.fsync(l.f); err != nil {
			return err
		}
	} else {
		l.dirty.Store(true)
	}
	l.stats.appends.Add(1)
	l.stats.batches.Add(1)
	l.stats.records.Add(int64(len(batch)))
	if l.za.chunk > 0 {
		l.za.last.Store(int64(len(buf)))
		l.wantZeros()
	}
	return nil
}

// write writes an encoded batch at the end of the log; a failure fails the log. In a
// preallocated log a batch of more than maxUnsynced bytes goes in pieces, each but the last
// fsynced, so that a crash leaves at most maxUnsynced bytes of it unsynced (the bound
// recovery relies on).
func (l *Log) write(buf []byte) error {
	for len(buf) > 0 {
		piece := buf
		if l.za.chunk > 0 && len(piece) > maxUnsynced {
			piece = piece[:maxUnsynced]
		}
		n, err := l.f.Write(piece)
		l.size.Add(int64(n))
		l.stats.bytes.Add(int64(n))
		if err == nil && n < len(piece) {
			err = io.ErrShortWrite
		}
		if err != nil {
			return l.fail("write", err)
		}
		buf = buf[n:]
		if len(buf) > 0 {
			if err := l.fsync(l.f); err != nil {
				return err
			}
		}
	}
	return nil
}

// Sync fsyncs the log now. It is used at shutdown and by the everysec goroutine, and may be
// called from any goroutine. A failed fsync fails the log permanently; it is never retried.
func (l *Log) Sync() error {
	l.fileMu.RLock()
	defer l.fileMu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	if fl := l.failure.Load(); fl != nil {
		return fl.err
	}
	l.dirty.Store(false)
	return l.fsync(l.f)
}

// fsync fsyncs the log file f; a failure fails the log.
func (l *Log) fsync(f File) error {
	if err := l.timedSync(f); err != nil {
		return l.fail("fsync", err)
	}
	return nil
}

// timedSync fsyncs f, counting and timing it.
func (l *Log) timedSync(f File) error {
	start := time.Now()
	err := f.Sync()
	l.stats.fsyncs.Add(1)
	l.stats.fsyncNanos.Add(int64(time.Since(start)))
	return err
}

// fail puts the log into the failed state (the first failure wins and is logged) and returns
// the error for this operation, wrapping ErrFailed and cause.
func (l *Log) fail(op string, cause error) error {
	var err error
	if pe := (*fs.PathError)(nil); errors.As(cause, &pe) {
		err = fmt.Errorf("%w: %w", ErrFailed, cause) // it names the operation and the file
	} else {
		err = fmt.Errorf("%w: %s %s: %w", ErrFailed, op, l.path, cause)
	}
	if l.failure.CompareAndSwap(nil, &failure{err: err}) {
		l.logger.Error("aof: log failed; refusing all further writes until restart",
			"path", l.path, "op", op, "err", cause.Error())
	}
	return err
}

// syncEverySecond is the SyncEverySec goroutine: it fsyncs once a second if something was
// appended. Errors fail the log (and are logged there); the next Append reports them.
func (l *Log) syncEverySecond(ctx context.Context) {
	defer l.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if l.dirty.Load() && l.failure.Load() == nil {
				_ = l.Sync() // a failure is recorded in l.failure and logged by fail
			}
		}
	}
}

// Size returns the size of the log file in bytes.
func (l *Log) Size() int64 { return l.size.Load() }

// Path returns the path of the log file.
func (l *Log) Path() string { return l.path }

// Rewriting reports whether a rewrite is in progress (between BeginRewrite and
// Commit/Abort).
func (l *Log) Rewriting() bool { return l.rewriting.Load() }

// Err returns the error that failed the log, or nil.
func (l *Log) Err() error {
	if fl := l.failure.Load(); fl != nil {
		return fl.err
	}
	return nil
}

// Stats returns the log's counters. It never blocks on an Append.
func (l *Log) Stats() Stats {
	return Stats{
		Appends:      l.stats.appends.Load(),
		Batches:      l.stats.batches.Load(),
		Records:      l.stats.records.Load(),
		BytesWritten: l.stats.bytes.Load(),
		Fsyncs:       l.stats.fsyncs.Load(),
		FsyncTime:    time.Duration(l.stats.fsyncNanos.Load()),
		Rewrites:     l.stats.rewrites.Load(),
		Size:         l.size.Load(),
		Failed:       l.failure.Load() != nil,
	}
}

// cutZeros truncates the zeros written ahead and clears the header's preallocation flag, so
// that a closed log is a plain one. Called by Close with l.mu held, the goroutine stopped.
func (l *Log) cutZeros() error {
	size := l.size.Load()
	info, err := l.f.Stat()
	if err != nil {
		return fmt.Errorf("aof: stat: %w", err)
	}
	if info.Size() > size {
		if err := l.f.Truncate(size); err != nil {
			return fmt.Errorf("aof: truncate the preallocated zeros: %w", err)
		}
		if err := l.f.Sync(); err != nil {
			return l.fail("fsync", err)
		}
	}
	return writeHeaderFlags(l.f, 0, size)
}

// Close stops the everysec goroutine, fsyncs the log (unless it has failed) and closes the
// file. A running Rewrite fails at Commit with ErrClosed; its temporary file is removed by
// Abort or by the next Open. Closing a closed Log returns nil.
func (l *Log) Close() error {
	l.cancel()
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	var syncErr error
	if l.failure.Load() == nil {
		syncErr = l.Sync()
		if syncErr == nil && l.za.chunk > 0 {
			syncErr = l.cutZeros()
		}
	}
	l.fileMu.Lock()
	defer l.fileMu.Unlock()
	l.closed = true
	if err := l.f.Close(); err != nil {
		return errors.Join(syncErr, fmt.Errorf("aof: close: %w", err))
	}
	return syncErr
}
