package dbvalue

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"github.com/fleetdb-go/fleetdb/collection"
	"github.com/fleetdb-go/fleetdb/index"
	"github.com/tidwall/gjson"
)

// A snapshot is a sequence of byte records, each starting with a type byte:
//
//	'H' header:      "FDBSNAP1" | seq uvarint
//	'C' collection:  name (uvarint length + bytes) | index count uvarint |
//	                 each index spec's JSON (uvarint length + bytes)
//	'R' records:     count uvarint | each record's JSON (uvarint length +
//	                 bytes), in id order, for the last 'C'
//	'E' end:         total records uvarint (a check)
//
// Records are grouped into chunks of about SnapshotChunkBytes so a snapshot
// streams with bounded memory. Decoding rebuilds every tree with builders.
const (
	snapMagic          = "FDBSNAP1"
	SnapshotChunkBytes = 64 << 10
)

// WriteSnapshot encodes v as snapshot records, calling emit for each; the
// slice passed to emit is reused after it returns. It reads only v, so it
// may run on any goroutine while writes go on.
func (v *Value) WriteSnapshot(emit func(rec []byte) error) error {
	buf := append([]byte{'H'}, snapMagic...)
	buf = binary.AppendUvarint(buf, v.Seq)
	if err := emit(buf); err != nil {
		return err
	}
	total := uint64(0)
	var err error
	v.colls.ascendAll(func(name string, c collection.Collection) bool {
		buf = append(buf[:0], 'C')
		buf = appendBytes(buf, name)
		buf = binary.AppendUvarint(buf, uint64(len(c.Indexes())))
		for _, ix := range c.Indexes() {
			buf = appendBytes(buf, ix.Spec().Raw())
		}
		if err = emit(buf); err != nil {
			return false
		}
		var chunk []byte
		n := 0
		flush := func() error {
			if n == 0 {
				return nil
			}
			buf = append(buf[:0], 'R')
			buf = binary.AppendUvarint(buf, uint64(n))
			buf = append(buf, chunk...)
			chunk, n = chunk[:0], 0
			return emit(buf)
		}
		c.Scan(func(_, rec string) bool {
			chunk = appendBytes(chunk, rec)
			n++
			total++
			if len(chunk) >= SnapshotChunkBytes {
				err = flush()
			}
			return err == nil
		})
		if err == nil {
			err = flush()
		}
		return err == nil
	})
	if err != nil {
		return err
	}
	buf = append(buf[:0], 'E')
	buf = binary.AppendUvarint(buf, total)
	return emit(buf)
}

func appendBytes(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// IsSnapshotRecord reports whether rec is a record of a snapshot.
func IsSnapshotRecord(rec []byte) bool {
	return len(rec) > 0 && (rec[0] == 'H' || rec[0] == 'C' || rec[0] == 'R' || rec[0] == 'E')
}

// StartsSnapshot reports whether rec is the first record of a snapshot (a
// Loader must begin with it).
func StartsSnapshot(rec []byte) bool { return len(rec) > 0 && rec[0] == 'H' }

// Loader decodes snapshot records into a value. Feed it every record with
// Add, in order, until Done reports the snapshot complete, then call Value.
type Loader struct {
	started, ended bool
	seq            uint64
	colls          collBuilder
	name           string
	specs          []index.Spec
	records        *collection.Builder // of the last 'C', with specs
	haveColl       bool
	total          uint64
}

// Add decodes one snapshot record. The record's bytes are copied.
func (l *Loader) Add(rec []byte) error {
	if len(rec) == 0 {
		return fmt.Errorf("%w: empty record", ErrCorrupt)
	}
	r := reader{b: rec[1:]}
	if !l.started && rec[0] != 'H' {
		return fmt.Errorf("%w: missing header", ErrCorrupt)
	}
	if l.ended {
		return fmt.Errorf("%w: record after the end", ErrCorrupt)
	}
	switch rec[0] {
	case 'H':
		if l.started || len(r.b) < len(snapMagic) || string(r.b[:len(snapMagic)]) != snapMagic {
			return fmt.Errorf("%w: bad header", ErrCorrupt)
		}
		r.b = r.b[len(snapMagic):]
		l.seq = r.uvarint()
		l.started = true
	case 'C':
		if err := l.finishCollection(); err != nil {
			return err
		}
		l.name = r.str()
		n := r.uvarint()
		l.specs = l.specs[:0]
		for i := uint64(0); i < n && r.err == nil; i++ {
			raw := r.str()
			spec, err := index.ParseSpec(gjson.Parse(raw))
			if err != nil || !gjson.Valid(raw) {
				return fmt.Errorf("%w: bad index spec %q", ErrCorrupt, raw)
			}
			l.specs = append(l.specs, spec)
		}
		l.records = collection.NewBuilder(l.specs)
		l.haveColl = true
	case 'R':
		if !l.haveColl {
			return fmt.Errorf("%w: records before a collection", ErrCorrupt)
		}
		n := r.uvarint()
		for i := uint64(0); i < n && r.err == nil; i++ {
			js := r.view() // copied into the record's block by the builder
			id := gjson.Get(js, "id")
			if !gjson.Valid(js) || (id.Type != gjson.Number && id.Type != gjson.String) {
				return fmt.Errorf("%w: bad record in collection %q", ErrCorrupt, l.name)
			}
			enc := index.EncodeValue(id)
			if err := l.records.Add(enc, js); err != nil {
				return fmt.Errorf("%w: records of %q out of order", ErrCorrupt, l.name)
			}
			l.total++
		}
	case 'E':
		if err := l.finishCollection(); err != nil {
			return err
		}
		if total := r.uvarint(); r.err == nil && total != l.total {
			return fmt.Errorf("%w: %d records, the end says %d", ErrCorrupt, l.total, total)
		}
		l.ended = true
	default:
		return fmt.Errorf("%w: unknown record type %q", ErrCorrupt, rec[0])
	}
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes in a %q record", ErrCorrupt, len(r.b), rec[0])
	}
	return nil
}

func (l *Loader) finishCollection() error {
	if !l.haveColl {
		return nil
	}
	c := l.records.Collection()
	l.records = nil
	if !c.IsEmpty() {
		if err := l.colls.add(l.name, c); err != nil {
			return fmt.Errorf("%w: collections out of order", ErrCorrupt)
		}
	}
	l.haveColl = false
	return nil
}

// Done reports whether the loader has read the snapshot's last record: the
// snapshot is complete and Value may be called.
func (l *Loader) Done() bool { return l.ended }

// Value returns the decoded value; the snapshot must have ended.
func (l *Loader) Value() (*Value, error) {
	if !l.ended {
		return nil, fmt.Errorf("%w: snapshot ended early", ErrCorrupt)
	}
	return &Value{colls: l.colls.tree(), Seq: l.seq}, nil
}

// reader decodes the fields of one record.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = fmt.Errorf("%w: bad varint", ErrCorrupt)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// view returns the next length-prefixed field without copying it; the
// string is valid while the record's bytes are.
func (r *reader) view() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.err = fmt.Errorf("%w: field of %d bytes past the record's end", ErrCorrupt, n)
		return ""
	}
	s := unsafe.String(unsafe.SliceData(r.b), int(n))
	r.b = r.b[n:]
	return s
}

func (r *reader) str() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.err = fmt.Errorf("%w: field of %d bytes past the record's end", ErrCorrupt, n)
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}
