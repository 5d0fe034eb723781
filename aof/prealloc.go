package aof

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
)

// Preallocation (doc.go has the why): with SyncAlways, a goroutine of the Log writes zeros
// ahead of the end of the log and fsyncs them, so that an append overwrites blocks the file
// already has and its fsync has no file size to commit.
const (
	// DefaultPreallocate is the Options.Preallocate the database uses: how many bytes of zeros
	// a SyncAlways log writes ahead at a time.
	DefaultPreallocate = 256 << 10

	// maxRound bounds a round of zeros sized after a large append (see roundSize).
	maxRound = 8 << 20

	// maxUnsynced bounds the bytes of one append between two fsyncs in a preallocated log:
	// recovery treats damage followed by non-zero bytes within this distance as a torn append
	// (see tornPreallocated). A larger batch is written in pieces of this size, each but the
	// last fsynced on its own.
	maxUnsynced = 1 << 20
)

// zeroAhead is the state of a Log's preallocation.
type zeroAhead struct {
	chunk int64        // bytes written ahead per round at least; 0: preallocation is off
	end   atomic.Int64 // every byte from the log's size up to end is a zero already fsynced
	last  atomic.Int64 // bytes of the last append
	kick  chan struct{}

	mu      sync.Mutex    // guards the fields below
	running chan struct{} // non-nil while a round writes; closed when it ends
	gen     int64         // the file's generation: a rewrite's switch increments it
	off     bool          // stopped (Close) or given up after a failed write
}

// headerFlags returns the flags of the file header the log writes.
func (l *Log) headerFlags() uint16 {
	if l.za.chunk > 0 {
		return flagPreallocated
	}
	return 0
}

// writeHeaderFlags rewrites the header of f, whose log ends at end, with flags, fsyncs it, and
// positions f at end for appending.
func writeHeaderFlags(f File, flags uint16, end int64) error {
	h := fileHeader(flags)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("aof: seek: %w", err)
	}
	if _, err := f.Write(h[:]); err != nil {
		return fmt.Errorf("aof: write file header: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("aof: fsync: %w", err)
	}
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		return fmt.Errorf("aof: seek: %w", err)
	}
	return nil
}

// roundSize returns how many zeros a round writes: the chunk, or twice the last append if
// that is more (so that large batches, such as a turn of pipelined writes, keep landing on
// zeros), up to maxRound, in 64-KiB units.
func (za *zeroAhead) roundSize() int64 {
	n := max(za.chunk, min(2*za.last.Load(), maxRound))
	return (n + 64<<10 - 1) &^ (64<<10 - 1)
}

// wantZeros asks the preallocation goroutine for a round if less than half a round of zeros
// is left ahead of the log's end. It never blocks.
func (l *Log) wantZeros() {
	if l.za.chunk == 0 || l.za.end.Load()-l.size.Load() >= l.za.roundSize()/2 {
		return
	}
	select {
	case l.za.kick <- struct{}{}:
	default:
	}
}

// preallocate is the preallocation goroutine: it runs a round whenever asked, until ctx ends.
func (l *Log) preallocate(ctx context.Context) {
	defer l.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.za.kick:
			l.zeroRound()
		}
	}
}

// zeroRound writes a chunk of zeros at the end of what is zeroed already and fsyncs it through a
// file handle of its own, so that Append's fsyncs and this one each see a write-back error of
// the file (Linux reports one to every open file that has not seen it yet). Append never
// writes at or past za.end while a round runs (it waits, see waitZeros). The file is opened by
// path under the append lock, which a rewrite holds while it renames its file over the log, so
// the handle is the current log's; a rewrite that commits during the round bumps gen, and the
// round's zeros then count for nothing.
func (l *Log) zeroRound() {
	za := &l.za
	l.mu.Lock()
	za.mu.Lock()
	n := za.roundSize()
	if l.closed || l.failure.Load() != nil || za.off || za.end.Load()-l.size.Load() >= n/2 {
		za.mu.Unlock()
		l.mu.Unlock()
		return
	}
	from, gen := za.end.Load(), za.gen
	f, err := l.fs.OpenFile(l.path, os.O_WRONLY, 0)
	if err != nil {
		za.off = true
		za.mu.Unlock()
		l.mu.Unlock()
		l.logger.Warn("aof: preallocation stopped: cannot open the log a second time", "path", l.path, "err", err.Error())
		return
	}
	done := make(chan struct{})
	za.running = done
	za.mu.Unlock()
	l.mu.Unlock()

	werr := writeZeros(f, from, n)
	var serr error
	if werr == nil {
		serr = f.Sync()
	}
	f.Close()

	za.mu.Lock()
	switch {
	case serr != nil:
		// An fsync error may belong to appended data as well: the log fails, as for
		// Append's own fsync.
		za.off = true
		l.fail("fsync of preallocated zeros", serr)
	case werr != nil: // ENOSPC and the like: appends go on, extending the file
		za.off = true
		l.logger.Warn("aof: preallocation stopped: writing zeros ahead failed", "path", l.path, "err", werr.Error())
	case za.gen == gen:
		za.end.Store(from + n)
	}
	za.running = nil
	close(done)
	za.mu.Unlock()
}

// zeroBlock is what writeZeros writes from; nothing writes to it.
var zeroBlock [64 << 10]byte

// writeZeros writes n zero bytes at off.
func writeZeros(f File, off, n int64) error {
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return err
	}
	zeros := zeroBlock[:]
	for n > 0 {
		w, err := f.Write(zeros[:min(n, int64(len(zeros)))])
		if err != nil {
			return err
		}
		n -= int64(w)
	}
	return nil
}

// roomFor makes sure an append of n bytes at the log's end may be written: if it reaches past
// the zeros already written ahead, it waits for a running round (which writes there) and then
// counts the bytes it will write as the new end of the zeroed region. Called with l.mu held,
// so no round starts meanwhile.
func (l *Log) roomFor(n int64) {
	za := &l.za
	end := l.size.Load() + n
	if za.chunk == 0 || end <= za.end.Load() {
		return
	}
	za.mu.Lock()
	for za.running != nil {
		done := za.running
		za.mu.Unlock()
		<-done
		za.mu.Lock()
	}
	if end > za.end.Load() {
		za.end.Store(end) // the append itself extends the file up to end
	}
	za.mu.Unlock()
}

// switchFile resets the preallocation for the file a rewrite switched to, whose size is size.
// Called with l.mu held.
func (l *Log) switchFile(size int64) {
	za := &l.za
	za.mu.Lock()
	za.gen++
	za.end.Store(size)
	za.mu.Unlock()
}

// stopZeros stops preallocation for good and waits for a running round. Called without l.mu
// (a round takes it to start).
func (l *Log) stopZeros() {
	za := &l.za
	za.mu.Lock()
	za.off = true
	done := za.running
	za.mu.Unlock()
	if done != nil {
		<-done
	}
}
