package fleetdb

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/fleetdb-go/fleetdb/aof"
)

// SyncPolicy says when a persistent database fsyncs its log.
type SyncPolicy = aof.SyncPolicy

// The fsync policies (docs/durability.md).
const (
	// SyncAlways acknowledges a write only after its log record is on
	// stable storage; concurrent writes share one fsync (group commit).
	SyncAlways = aof.SyncAlways
	// SyncEverySec fsyncs once a second: a power cut may lose about the
	// last second of acknowledged writes (a process crash loses nothing).
	SyncEverySec = aof.SyncEverySec
	// SyncNever leaves flushing to the operating system: a power cut may
	// lose any number of acknowledged writes (a process crash loses
	// nothing).
	SyncNever = aof.SyncNever
)

// ParseSyncPolicy parses "always", "everysec" or "never".
func ParseSyncPolicy(s string) (SyncPolicy, error) { return aof.ParseSyncPolicy(s) }

// Options configure Open. The zero value is an ephemeral database.
type Options struct {
	// Path is the log file; "" keeps nothing on disk (ephemeral).
	Path string
	// Sync is the fsync policy of the log (default SyncAlways).
	Sync SyncPolicy
	// DefragIdle is how long the writer must have been idle, after writes
	// of at least half the records, before the database merges the recent
	// changes of every record map and index into their dense runs
	// (defrag.go): the delta trees' nodes, with the holes their copies
	// left, go back to the heap, and lookups search the runs alone. 0 means
	// 1 s; a negative value turns it off. Cluster members do not defragment.
	DefragIdle time.Duration
	// LogPreallocate is, with SyncAlways, how many bytes of zeros the log
	// writes ahead of its end at a time, so that an append overwrites
	// blocks the file already has and its fsync commits no new file size
	// (package aof, "Preallocation"). 0 means aof.DefaultPreallocate (256 KiB);
	// a negative value turns it off. A log written ahead of its end says so
	// in its header until Close cuts the zeros: a build from before this
	// option refuses such a log (left by a crash) rather than misread it.
	LogPreallocate int64
	// Commands are the user-defined write commands, registered before the
	// log is replayed. A standalone log records a call as the writes it
	// made, so it replays without them; only a log written before that
	// (holding calls) needs its commands here. A cluster member needs them
	// at Open: its Raft log replicates calls by name.
	Commands map[string]Command
	// AutoCompactRatio, when positive, starts a compaction after a write
	// once the log is larger than this multiple of its size after the last
	// compaction (or at open) and larger than AutoCompactMinBytes. 0: off.
	AutoCompactRatio float64
	// AutoCompactMinBytes is the smallest log auto compaction considers
	// (0: 64 MiB).
	AutoCompactMinBytes int64
	// Logger receives the database's log; nil discards it.
	Logger *slog.Logger
	// MaxBatch is the most writes applied, persisted and published together
	// (0: 256).
	MaxBatch int
	// QueueSize bounds the writes waiting for the writer; a full queue makes
	// writers wait (0: 4096).
	QueueSize int
	// ReplayGCPercent, when positive, sets the garbage collector's target
	// percentage (debug.SetGCPercent, a setting of the whole process) to
	// this value while Open replays the log, and restores the previous one
	// when the replay ends (Opens replaying at the same time share the
	// setting; the last one restores it). Replay builds the whole database
	// at once, so collecting less often during it can pay: with the
	// single-goroutine replay, 400 replayed a log of a million small
	// inserts about twice as fast as the default 100 (BenchmarkReplay;
	// FLEETDB_REPLAY_GC=0 measures without), for a larger heap during the
	// replay. 0 (the default) leaves the collector alone.
	ReplayGCPercent int

	// Cluster, when set, opens the database as a member of a Raft cluster
	// (see ClusterOptions); Path must then be empty.
	Cluster *ClusterOptions

	// fs replaces the file system under the log: the tests of this package
	// inject faults with it (aoftest); nil is the operating system's.
	fs aof.FS

	// WatchHistory bounds the bytes of recent changes kept so that a feed
	// can resume from an earlier position (docs/changefeeds.md; 0: 64 MiB).
	WatchHistory int64
	// WatchBuffer bounds the bytes of events a feed has not consumed yet;
	// past it the feed ends with ErrWatchFellBehind (0: 16 MiB).
	WatchBuffer int64
	// MaxSnapshots bounds the open pinned snapshots (docs/changefeeds.md; 0: 1024).
	MaxSnapshots int

	// keepStates (tests) makes the writer keep the value after every
	// write in its step (dbvalue.Txn.KeepStates), to check the recorded
	// changes against.
	keepStates bool
}

// Defaults of the change feed and pinned snapshot bounds.
const (
	DefaultWatchHistory = 64 << 20
	DefaultWatchBuffer  = 16 << 20
	DefaultMaxSnapshots = 1024
)

// Validate checks the options.
func (o Options) Validate() error {
	if o.MaxBatch < 0 || o.QueueSize < 0 {
		return errors.New("fleetdb: Options.MaxBatch and QueueSize must not be negative")
	}
	if o.AutoCompactRatio < 0 || (o.AutoCompactRatio > 0 && o.AutoCompactRatio <= 1) {
		return fmt.Errorf("fleetdb: Options.AutoCompactRatio %v must be 0 (off) or above 1", o.AutoCompactRatio)
	}
	if o.WatchHistory < 0 || o.WatchBuffer < 0 || o.MaxSnapshots < 0 {
		return errors.New("fleetdb: Options.WatchHistory, WatchBuffer and MaxSnapshots must not be negative")
	}
	if o.ReplayGCPercent < 0 {
		return errors.New("fleetdb: Options.ReplayGCPercent must not be negative")
	}
	if o.AutoCompactMinBytes < 0 {
		return errors.New("fleetdb: Options.AutoCompactMinBytes must not be negative")
	}
	if err := (aof.Options{Sync: o.Sync}).Validate(); err != nil {
		return fmt.Errorf("fleetdb: %w", err)
	}
	if o.Cluster != nil {
		if o.Path != "" {
			return errors.New("fleetdb: Options.Path must be empty for a cluster node (its state lives in Cluster.DataDir)")
		}
		if err := o.Cluster.Validate(); err != nil {
			return err
		}
	}
	for name, cmd := range o.Commands {
		if name == "" || cmd == nil {
			return fmt.Errorf("fleetdb: Options.Commands: empty name or nil command %q", name)
		}
	}
	return nil
}

func (o Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// preallocate returns the aof.Options.Preallocate of LogPreallocate.
func (o Options) preallocate() int64 {
	switch {
	case o.LogPreallocate == 0:
		return aof.DefaultPreallocate
	case o.LogPreallocate < 0:
		return 0
	}
	return o.LogPreallocate
}
