package aof

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// RepairReport is the result of Repair.
type RepairReport struct {
	// Kept is what stays in the log: the complete batches before the damage.
	Kept Report
	// CutOffset is where the log was cut (the start of the damaged batch); CutBytes the
	// number of bytes cut, 0 when the log needed no repair.
	CutOffset int64
	CutBytes  int64
	// CutBatches and CutRecords count what the cut bytes held: every frame whose header is
	// intact is counted as a record (the damaged one included), and every such frame that
	// ends a batch as a batch, plus one for a last batch without its end.
	CutBatches int64
	CutRecords int64
	// CutPath is the file holding the cut bytes ("" when nothing was cut).
	CutPath string
	// Reason says what was wrong: the corruption, or the kind of torn tail.
	Reason string
}

// CutPath returns the name of the file that Repair writes the bytes it cuts at offset into.
func CutPath(path string, offset int64) string {
	return path + ".cut-" + strconv.FormatInt(offset, 10)
}

// Repair cuts the log at path at the start of the batch holding the first damage (corruption
// or a torn tail), after copying every byte it cuts into CutPath(path, offset), which it
// creates (it never overwrites a different one) and fsyncs together with its directory before
// the log is touched. Then it truncates the log and fsyncs it. A log without damage is left alone
// (CutBytes 0). So a repair loses no byte: what it cut can be inspected, and put back by
// appending the cut file to the log. The log must not be open (the caller holds its lock).
// A damaged file header is not repaired (nothing before it could be kept); that is an error
// wrapping ErrCorrupt. fsys nil means OSFS.
func Repair(path string, fsys FS) (RepairReport, error) {
	if fsys == nil {
		fsys = OSFS{}
	}
	f, err := fsys.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return RepairReport{}, fmt.Errorf("aof: repair: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return RepairReport{}, fmt.Errorf("aof: repair: %w", err)
	}
	res, err := walk(f, info.Size(), nil, nil)
	if err != nil {
		return RepairReport{}, err
	}
	rep := RepairReport{Kept: res.report(), CutOffset: res.validEnd}
	switch {
	case res.corrupt != nil:
		rep.Reason = res.corrupt.Error()
	case res.tornReason != "":
		rep.Reason = res.tornReason
	default:
		return rep, nil
	}
	if res.validEnd < FileHeaderSize {
		if res.corrupt != nil {
			return rep, fmt.Errorf("aof: repair: %w: nothing before it can be kept", res.corrupt)
		}
		return rep, nil // a torn file header: Open starts the log afresh
	}
	cut := make([]byte, res.size-res.validEnd)
	if _, err := f.ReadAt(cut, res.validEnd); err != nil && !errors.Is(err, io.EOF) {
		return rep, fmt.Errorf("aof: repair: read the damaged tail: %w", err)
	}
	rep.CutBatches, rep.CutRecords = countFrames(cut)
	rep.CutBytes = int64(len(cut))
	rep.CutPath = CutPath(path, res.validEnd)
	if err := writeNew(fsys, rep.CutPath, cut); err != nil {
		return rep, err
	}
	rep.Kept.Size, rep.Kept.TornBytes, rep.Kept.Corruption = res.validEnd, 0, nil
	if err := f.Truncate(res.validEnd); err != nil {
		return rep, fmt.Errorf("aof: repair: truncate: %w", err)
	}
	if err := f.Sync(); err != nil {
		return rep, fmt.Errorf("aof: repair: fsync: %w", err)
	}
	return rep, nil
}

// writeNew creates name holding data and makes both durable. It never replaces a different
// file: if name exists already holding exactly data (a repair that failed after writing it),
// that file is kept and made durable again; any other content is an error. A file it fails to
// write completely is removed again.
func writeNew(fsys FS, name string, data []byte) error {
	cf, err := fsys.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	switch {
	case errors.Is(err, fs.ErrExist):
		return reuseCut(fsys, name, data)
	case err != nil:
		return fmt.Errorf("aof: repair: create %s: %w", name, err)
	}
	if _, err = cf.Write(data); err == nil {
		err = cf.Sync()
	}
	if cerr := cf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fsys.Remove(name) // nothing was cut yet; a retry starts afresh
		return fmt.Errorf("aof: repair: write %s: %w", name, err)
	}
	if err := fsys.SyncDir(filepath.Dir(name)); err != nil {
		return fmt.Errorf("aof: repair: fsync directory: %w", err)
	}
	return nil
}

// reuseCut accepts an existing cut file that holds exactly data, making it durable.
func reuseCut(fsys FS, name string, data []byte) error {
	exists := fmt.Errorf("aof: repair: %s already exists with other bytes; move it away first (it holds bytes of an earlier repair)", name)
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("aof: repair: open %s: %w", name, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("aof: repair: %w", err)
	}
	if info.Size() != int64(len(data)) {
		return exists
	}
	old := make([]byte, len(data))
	if _, err := f.ReadAt(old, 0); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("aof: repair: read %s: %w", name, err)
	}
	if !bytes.Equal(old, data) {
		return exists
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("aof: repair: fsync %s: %w", name, err)
	}
	if err := fsys.SyncDir(filepath.Dir(name)); err != nil {
		return fmt.Errorf("aof: repair: fsync directory: %w", err)
	}
	return nil
}

// countFrames counts the frames with an intact header in b (the damaged tail of a log, which
// starts at a frame boundary), skipping byte by byte over what is not one.
func countFrames(b []byte) (batches, records int64) {
	open := false
	for pos := 0; pos+frameHeaderSize <= len(b); {
		fr, reason := parseFrameHeader(b[pos:])
		if reason != "" {
			pos++
			continue
		}
		records++
		open = true
		if fr.end {
			batches++
			open = false
		}
		pos += frameHeaderSize + int(fr.length)
	}
	if open {
		batches++
	}
	return batches, records
}

// report turns a scan into a Report.
func (res scanResult) report() Report {
	rep := Report{
		Records:         res.records,
		Batches:         res.batches,
		LastValidOffset: res.validEnd,
		Size:            res.size,
	}
	if res.tornReason != "" {
		rep.TornBytes, rep.TornReason = res.size-res.validEnd, res.tornReason
	}
	if res.corrupt != nil {
		rep.Corruption = res.corrupt
	}
	return rep
}
