package aof

import (
	"fmt"
	"os"
)

// Report is the result of Check.
type Report struct {
	Records         int64 // records in the complete batches before any damage
	Batches         int64 // complete batches before any damage
	LastValidOffset int64 // end of the last complete batch (0 if the file header is missing)
	Size            int64 // file size
	TornBytes       int64 // bytes after LastValidOffset that Open would cut off as a torn tail
	// TornReason says what the torn tail is ("" without one): ReasonWrittenAhead for the
	// zeros a preallocated log leaves when it was not closed (a crash or a kill, not
	// necessarily during an append), else what cut the last append short.
	TornReason string
	// Corruption is the first corruption found (a *CorruptError wrapping ErrCorrupt), or nil.
	// Open fails on it unless Options.Repair is set, which cuts the file at LastValidOffset.
	Corruption error
}

// Check reads the log at path without modifying it and reports what Open would find. It
// returns an error if the file cannot be read or has a format version this build does not
// know; corruption is reported in Report.Corruption. fsys nil means OSFS.
func Check(path string, fsys FS) (Report, error) { return Scan(path, fsys, nil) }

// Scan is Check that also calls replay, as Open does, for every record of every complete
// batch before the first damage, in order (a record is valid during the call). An error of
// replay stops the scan and is returned wrapped with the record's offset. The file is never
// modified.
func Scan(path string, fsys FS, replay func(rec []byte) error) (Report, error) {
	if fsys == nil {
		fsys = OSFS{}
	}
	f, err := fsys.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return Report{}, fmt.Errorf("aof: check: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return Report{}, fmt.Errorf("aof: check: %w", err)
	}
	res, err := walk(f, info.Size(), nil, replay)
	if err != nil {
		return Report{}, err
	}
	return res.report(), nil
}
