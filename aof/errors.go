package aof

import (
	"errors"
	"fmt"
)

// Sentinel errors. Test for them with errors.Is; the errors returned by this package wrap them
// with the details (offset, cause, sizes).
var (
	// ErrCorrupt means the log holds a complete frame that cannot be right: a checksum
	// mismatch, an impossible length, unknown frame flags, or a bad file header. Open and
	// Check return a *CorruptError, which wraps ErrCorrupt and names the byte offset. A torn
	// tail (a crash in the middle of an append) is not corruption: Open cuts it off.
	ErrCorrupt = errors.New("aof: log corrupt")

	// ErrFailed means an earlier write or fsync of the log failed. The failure is permanent:
	// every later Append and Sync returns an error wrapping ErrFailed and the original cause
	// without touching the file. Reopen the log (restart) to recover.
	ErrFailed = errors.New("aof: log failed")

	// ErrTooLarge is returned by Append and Rewrite.Write for a record longer than
	// MaxRecordSize. Nothing is written and the log stays usable.
	ErrTooLarge = errors.New("aof: record too large")

	// ErrClosed is returned by calls on a closed Log.
	ErrClosed = errors.New("aof: log closed")

	// ErrVersion means the file header is intact but names a format version or header flags
	// this build does not understand (a file written by a newer FleetDB).
	ErrVersion = errors.New("aof: unsupported log format")

	// ErrRewriteInProgress is returned by BeginRewrite while another rewrite is running.
	ErrRewriteInProgress = errors.New("aof: rewrite already in progress")

	// ErrRewriteDone is returned by calls on a Rewrite that was already committed or aborted,
	// or that failed.
	ErrRewriteDone = errors.New("aof: rewrite already finished")
)

// CorruptError reports corruption at a byte offset of the log file. It wraps ErrCorrupt.
type CorruptError struct {
	// Offset is the offset of the damaged frame (0 for the file header).
	Offset int64
	// Reason says what is wrong, e.g. "checksum mismatch".
	Reason string
	// BatchOffset is the start of the batch holding the damaged frame: the end of the intact
	// prefix, where Repair cuts. 0 for a damaged file header.
	BatchOffset int64
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("aof: %s at offset %d", e.Reason, e.Offset)
}

// Unwrap returns ErrCorrupt.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }
