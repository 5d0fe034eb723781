package replication

import (
	"bytes"
	"fmt"
	"io"
	"sync"

	"github.com/hashicorp/raft"
)

// memSnapshots is the in-memory snapshot store of the tests' network. It
// replaces raft.InmemSnapshotStore, whose Create makes the new sink the
// latest snapshot at once: a follower far behind was sent (Open) the bytes
// of a snapshot still being written, a data race the race detector caught
// in TestFarBehindFollower (raft v1.7.3, inmem_snapshot.go). Here a
// snapshot becomes the latest only when its sink is closed, and its bytes
// never change after that.
type memSnapshots struct {
	mu     sync.Mutex
	latest *memSnapshot // the last completed snapshot; nil: none
	seq    int          // for the ids of new sinks
}

type memSnapshot struct {
	meta raft.SnapshotMeta
	data []byte
}

func (s *memSnapshots) Create(version raft.SnapshotVersion, index, term uint64, cfg raft.Configuration, cfgIndex uint64, _ raft.Transport) (raft.SnapshotSink, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return &memSnapshotSink{store: s, meta: raft.SnapshotMeta{
		Version:            version,
		ID:                 fmt.Sprintf("%d-%d-%d", term, index, s.seq),
		Index:              index,
		Term:               term,
		Configuration:      cfg,
		ConfigurationIndex: cfgIndex,
	}}, nil
}

func (s *memSnapshots) List() ([]*raft.SnapshotMeta, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.latest == nil {
		return nil, nil
	}
	meta := s.latest.meta
	return []*raft.SnapshotMeta{&meta}, nil
}

func (s *memSnapshots) Open(id string) (*raft.SnapshotMeta, io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.latest == nil || s.latest.meta.ID != id {
		return nil, nil, fmt.Errorf("snapshot %s not found", id)
	}
	meta := s.latest.meta
	return &meta, io.NopCloser(bytes.NewReader(s.latest.data)), nil
}

// memSnapshotSink collects a snapshot's bytes; raft writes it from one
// goroutine.
type memSnapshotSink struct {
	store *memSnapshots
	meta  raft.SnapshotMeta
	buf   bytes.Buffer
	done  bool
}

func (k *memSnapshotSink) Write(p []byte) (int, error) { return k.buf.Write(p) }

func (k *memSnapshotSink) ID() string { return k.meta.ID }

func (k *memSnapshotSink) Close() error {
	if k.done {
		return nil
	}
	k.done = true
	k.meta.Size = int64(k.buf.Len())
	k.store.mu.Lock()
	defer k.store.mu.Unlock()
	k.store.latest = &memSnapshot{meta: k.meta, data: k.buf.Bytes()}
	return nil
}

func (k *memSnapshotSink) Cancel() error {
	k.done = true
	return nil
}
