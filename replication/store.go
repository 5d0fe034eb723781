package replication

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	wal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/fs"
	"github.com/hashicorp/raft-wal/metadb"
	"github.com/hashicorp/raft-wal/segment"
	"github.com/hashicorp/raft-wal/types"
	bbolt "go.etcd.io/bbolt"
)

// LogStore chooses where a node keeps its Raft log. The stable store
// (term, vote) is raft-boltdb in either case, in raft.db.
type LogStore int

const (
	// LogStoreWAL (the default): github.com/hashicorp/raft-wal, segment
	// files in wal/; one fsync per append.
	LogStoreWAL LogStore = iota
	// LogStoreBolt: raft-boltdb in raft.db beside the stable store; a bbolt
	// commit per append, two fsyncs.
	LogStoreBolt
)

func (s LogStore) String() string {
	switch s {
	case LogStoreWAL:
		return "wal"
	case LogStoreBolt:
		return "bolt"
	}
	return fmt.Sprintf("LogStore(%d)", int(s))
}

// ParseLogStore parses "wal" or "bolt".
func ParseLogStore(s string) (LogStore, error) {
	switch strings.ToLower(s) {
	case "wal":
		return LogStoreWAL, nil
	case "bolt":
		return LogStoreBolt, nil
	}
	return 0, fmt.Errorf("replication: log store %q: want wal or bolt", s)
}

// Files of the data directory.
const (
	boltFile = "raft.db" // stable store, and the log with LogStoreBolt
	walDir   = "wal"     // the log with LogStoreWAL
)

// ErrLogStoreMismatch: the data directory holds a Raft log written by the
// other log store.
var ErrLogStoreMismatch = errors.New("replication: the data directory was written with another log store")

// existingLogStore tells which log store wrote the data directory: the
// wal/ directory marks raft-wal (it is created before raft.db), raft.db
// alone raft-boltdb; ok is false for a directory without Raft state.
func existingLogStore(dir string) (_ LogStore, ok bool, _ error) {
	if fi, err := os.Stat(filepath.Join(dir, walDir)); err == nil && fi.IsDir() {
		return LogStoreWAL, true, nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, false, fmt.Errorf("replication: data dir: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, boltFile)); err == nil {
		return LogStoreBolt, true, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return 0, false, fmt.Errorf("replication: data dir: %w", err)
	}
	return 0, false, nil
}

// openStores opens the log, stable and snapshot stores: files in the data
// directory, or the in-process network's.
func (n *Node) openStores() (raft.LogStore, raft.StableStore, raft.SnapshotStore, error) {
	if n.cfg.DataDir == "" {
		logs, stable, snaps := n.cfg.network.raftStores(n.cfg.NodeID)
		return logs, stable, snaps, nil
	}
	dir := n.cfg.DataDir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, nil, fmt.Errorf("replication: data dir: %w", err)
	}
	n.dataDir = dir
	want := n.cfg.LogStore
	if have, ok, err := existingLogStore(dir); err != nil {
		return nil, nil, nil, err
	} else if ok && have != want {
		return nil, nil, nil, fmt.Errorf("%w: %s holds a Raft log written by the %q log store, and this member is set to %q: "+
			"start it with the log store %q (fleetdb serve --log-store %s), or remove the member from the cluster, empty the directory and join again (it then catches up by a snapshot)",
			ErrLogStoreMismatch, dir, have, want, have, have)
	}
	var base raft.LogStore
	if want == LogStoreWAL {
		wdir := filepath.Join(dir, walDir)
		if err := os.MkdirAll(wdir, 0o755); err != nil {
			return nil, nil, nil, fmt.Errorf("replication: data dir: %w", err)
		}
		var vfs types.VFS = fs.New()
		if n.cfg.NoSync {
			vfs = noSyncVFS{vfs}
		} else {
			zv, err := newZeroedVFS(wdir)
			if err != nil {
				return nil, nil, nil, err
			}
			n.closers = append(n.closers, zv.Close)
			vfs = zv
		}
		// raft-wal v0.4.0's Close leaves its meta database open (and
		// locked): the node closes it after the WAL.
		meta := &metadb.BoltMetaDB{}
		n.closers = append(n.closers, meta.Close)
		w, err := wal.Open(wdir, wal.WithLogger(newHclog(n.cfg.Logger, "raft-wal")),
			wal.WithSegmentFiler(segment.NewFiler(wdir, vfs)), wal.WithMetaStore(meta))
		if err != nil {
			return nil, nil, nil, fmt.Errorf("replication: open %s: %w", wdir, err)
		}
		n.closers = append(n.closers, w.Close)
		base = walLogs{w}
	}
	// The freelist is rebuilt when the file is opened instead of written
	// with every commit: fewer pages per fsync (as Consul and Nomad do).
	bolt, err := raftboltdb.New(raftboltdb.Options{
		Path:        filepath.Join(dir, boltFile),
		NoSync:      n.cfg.NoSync,
		BoltOptions: &bbolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bbolt.FreelistMapType, InitialMmapSize: 256 << 20},
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("replication: open %s: %w", filepath.Join(dir, boltFile), err)
	}
	n.closers = append(n.closers, bolt.Close)
	if base == nil {
		base = bolt
	}
	logs, err := raft.NewLogCache(1024, base)
	if err != nil {
		return nil, nil, nil, err
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, newHclog(n.cfg.Logger, "raft-snapshots"))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("replication: snapshot store: %w", err)
	}
	return logs, bolt, snaps, nil
}

// walLogs is raft-wal's log with the entries before FirstIndex gone:
// raft-wal v0.4.0 truncates the head of its log logically and still
// returns those entries until their whole segment is deleted, so a leader
// would send a far-behind member years of log instead of a snapshot.
type walLogs struct{ *wal.WAL }

func (w walLogs) GetLog(index uint64, log *raft.Log) error {
	first, err := w.WAL.FirstIndex()
	if err != nil {
		return err
	}
	if index < first {
		return raft.ErrLogNotFound
	}
	return w.WAL.GetLog(index, log)
}

// noSyncVFS is raft-wal's file system without fsync (Config.NoSync).
type noSyncVFS struct{ types.VFS }

type noSyncFile struct{ types.WritableFile }

func (noSyncFile) Sync() error { return nil }

func (v noSyncVFS) Create(dir, name string, size uint64) (types.WritableFile, error) {
	f, err := v.VFS.Create(dir, name, size)
	if err != nil {
		return nil, err
	}
	return noSyncFile{f}, nil
}

func (v noSyncVFS) OpenWriter(dir, name string) (types.WritableFile, error) {
	f, err := v.VFS.OpenWriter(dir, name)
	if err != nil {
		return nil, err
	}
	return noSyncFile{f}, nil
}
