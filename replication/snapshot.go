package replication

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/hashicorp/raft"
)

// snapMagic starts every snapshot this package writes (doc.go has the
// layout).
const snapMagic = "FLEETDB-RAFT-SNAPSHOT-1\n"

// maxSnapRecord bounds one record of a snapshot read back (records are
// about dbvalue.SnapshotChunkBytes, or one large document).
const maxSnapRecord = 1 << 30

// fsmSnapshot is a point-in-time state: an immutable value and a copy of
// the members map. Persist may run while the state machine goes on.
type fsmSnapshot struct {
	v       *dbvalue.Value
	members map[string]string
}

// Persist streams the snapshot into the sink: the magic, a members record,
// then the records of dbvalue's snapshot format, each framed by its length.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	err := writeSnapshot(sink, s.v, s.members)
	if err != nil {
		sink.Cancel()
		return fmt.Errorf("replication: persist snapshot: %w", err)
	}
	return sink.Close()
}

// Release does nothing: the value is garbage collected when unused.
func (s *fsmSnapshot) Release() {}

func writeSnapshot(w io.Writer, v *dbvalue.Value, members map[string]string) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	if _, err := bw.WriteString(snapMagic); err != nil {
		return err
	}
	var hdr [binary.MaxVarintLen64]byte
	frame := func(rec []byte) error {
		n := binary.PutUvarint(hdr[:], uint64(len(rec)))
		if _, err := bw.Write(hdr[:n]); err != nil {
			return err
		}
		_, err := bw.Write(rec)
		return err
	}
	rec := []byte{entryMember}
	rec = binary.AppendUvarint(rec, uint64(len(members)))
	for _, id := range slices.Sorted(maps.Keys(members)) {
		rec = appendString(rec, []byte(id))
		rec = appendString(rec, []byte(members[id]))
	}
	if err := frame(rec); err != nil {
		return err
	}
	if err := v.WriteSnapshot(frame); err != nil {
		return err
	}
	return bw.Flush()
}

// readSnapshot decodes what writeSnapshot wrote, rebuilding the value with
// dbvalue's Loader (builders, no per-record copying of trees).
func readSnapshot(r io.Reader) (*dbvalue.Value, map[string]string, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	magic := make([]byte, len(snapMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != snapMagic {
		return nil, nil, fmt.Errorf("%w: snapshot: bad magic", ErrCorrupt)
	}
	var buf []byte
	next := func() ([]byte, error) {
		n, err := binary.ReadUvarint(br)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%w: snapshot: truncated", ErrCorrupt)
			}
			return nil, err
		}
		if n > maxSnapRecord {
			return nil, fmt.Errorf("%w: snapshot: record of %d bytes", ErrCorrupt, n)
		}
		if uint64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, fmt.Errorf("%w: snapshot: truncated record", ErrCorrupt)
		}
		return buf, nil
	}
	rec, err := next()
	if err != nil {
		return nil, nil, err
	}
	if len(rec) == 0 || rec[0] != entryMember {
		return nil, nil, fmt.Errorf("%w: snapshot: no members record", ErrCorrupt)
	}
	d := decoder{b: rec[1:]}
	count := d.uvarint()
	members := map[string]string{}
	for i := uint64(0); i < count && d.err == nil; i++ {
		id := string(d.bytes())
		members[id] = string(d.bytes())
	}
	if err := d.finish("snapshot members"); err != nil {
		return nil, nil, err
	}
	var l dbvalue.Loader
	for {
		rec, err := next()
		if err != nil {
			return nil, nil, err
		}
		if err := l.Add(rec); err != nil {
			return nil, nil, fmt.Errorf("%w: snapshot: %w", ErrCorrupt, err)
		}
		if l.Done() {
			break
		}
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, nil, fmt.Errorf("%w: snapshot: data after the end", ErrCorrupt)
	}
	v, err := l.Value()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: snapshot: %w", ErrCorrupt, err)
	}
	return v, members, nil
}
