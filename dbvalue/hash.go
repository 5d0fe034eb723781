package dbvalue

import (
	"crypto/sha256"
	"encoding/binary"
)

// Hash returns a canonical hash of the value's contents: collections,
// their index specs and their records (as stored), independent of Seq and
// of how the value was built. Two nodes, or a log and its compaction, that
// reach the same state have the same hash.
func (v *Value) Hash() [32]byte {
	h := sha256.New()
	first := true
	var n [binary.MaxVarintLen64]byte
	v.WriteSnapshot(func(rec []byte) error {
		if first { // the header holds Seq
			first = false
			return nil
		}
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(rec)))])
		h.Write(rec)
		return nil
	})
	var out [32]byte
	h.Sum(out[:0])
	return out
}
