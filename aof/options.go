package aof

import (
	"fmt"
	"log/slog"
)

// SyncPolicy says when the log fsyncs. The zero value is SyncAlways.
type SyncPolicy int

const (
	// SyncAlways fsyncs at the end of every Append: an Append that returned nil survives a
	// power cut. Concurrent writes share one fsync when the caller batches them.
	SyncAlways SyncPolicy = iota
	// SyncEverySec fsyncs from a background goroutine once a second if something was
	// appended: a power cut loses at most about the last second of acknowledged batches.
	SyncEverySec
	// SyncNever leaves flushing to the operating system; the log fsyncs only in Sync and
	// Close. A power cut may lose any amount of acknowledged batches.
	SyncNever
)

// String returns the policy's name as accepted by ParseSyncPolicy.
func (p SyncPolicy) String() string {
	switch p {
	case SyncAlways:
		return "always"
	case SyncEverySec:
		return "everysec"
	case SyncNever:
		return "never"
	}
	return fmt.Sprintf("SyncPolicy(%d)", int(p))
}

// ParseSyncPolicy parses "always", "everysec" or "never".
func ParseSyncPolicy(s string) (SyncPolicy, error) {
	switch s {
	case "always":
		return SyncAlways, nil
	case "everysec":
		return SyncEverySec, nil
	case "never":
		return SyncNever, nil
	}
	return 0, fmt.Errorf("aof: unknown sync policy %q (want always, everysec or never)", s)
}

// Options configure Open. The zero value is valid: fsync always, the OS file system, no
// logging, no repair.
type Options struct {
	// Sync is the fsync policy.
	Sync SyncPolicy
	// FS is the file system; nil means the real one (OSFS).
	FS FS
	// Logger receives warnings (torn tail cut off) and errors (log failed); nil discards.
	Logger *slog.Logger
	// Repair makes Open cut the log at the start of the batch holding the first corruption
	// instead of failing. Everything from there on is lost; it is logged at error level. Meant
	// for an offline repair command, not for normal start-up.
	Repair bool
	// Preallocate is, with SyncAlways, how many bytes of zeros the log writes ahead of its end
	// at a time, so that appends overwrite blocks the file already has and their fsyncs
	// commit no new file size (doc.go, "Preallocation"); DefaultPreallocate is a good value.
	// 0 (or a negative value) turns it off. The other policies never preallocate.
	Preallocate int64
}

// Validate checks the options.
func (o Options) Validate() error {
	switch o.Sync {
	case SyncAlways, SyncEverySec, SyncNever:
	default:
		return fmt.Errorf("aof: invalid sync policy %d", int(o.Sync))
	}
	return nil
}

// withDefaults fills in the nil fields.
func (o Options) withDefaults() Options {
	if o.FS == nil {
		o.FS = OSFS{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
