package collection

import (
	"fmt"

	"github.com/fleetdb-go/fleetdb/index"
)

// Check verifies that the record map and every index are well-formed and
// that every index holds exactly one entry per record, computed from the
// record as it is now. Tests call it after every change.
func (c Collection) Check() error {
	if err := c.records.Check(); err != nil {
		return fmt.Errorf("collection: record map: %w", err)
	}
	for _, ix := range c.indexes {
		if err := checkIndex(c, ix); err != nil {
			return err
		}
	}
	return nil
}

func checkIndex(c Collection, ix index.Index) error {
	if err := ix.Check(); err != nil {
		return fmt.Errorf("collection: index %s: %w", ix.Spec().Raw(), err)
	}
	if ix.Len() != c.records.Len() {
		return fmt.Errorf("collection: index %s has %d entries for %d records", ix.Spec().Raw(), ix.Len(), c.records.Len())
	}
	want := make(map[string]bool, c.records.Len())
	var buf []byte
	c.Scan(func(id, rec string) bool {
		buf = ix.Spec().AppendKey(buf[:0], id, rec)
		want[string(buf)] = true
		return true
	})
	var err error
	ix.Entries(func(k, rec string) bool {
		if !want[k] {
			err = fmt.Errorf("collection: index %s has a stale entry for id %q", ix.Spec().Raw(), index.IDOf(k))
			return false
		}
		if cur, _ := c.Get(index.IDOf(k)); cur != rec {
			err = fmt.Errorf("collection: index %s holds an old version of the record with id %q", ix.Spec().Raw(), index.IDOf(k))
			return false
		}
		delete(want, k)
		return true
	})
	if err != nil {
		return err
	}
	if len(want) > 0 {
		return fmt.Errorf("collection: index %s misses %d entries", ix.Spec().Raw(), len(want))
	}
	return nil
}
