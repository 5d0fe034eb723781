package fleetdb

import (
	"errors"
	"fmt"

	"github.com/fleetdb-go/fleetdb/aof"
)

// repairHint adds to a corruption found at Open where the intact prefix
// ends and the command that cuts the log there (docs/durability.md).
func repairHint(path string, err error) error {
	var ce *aof.CorruptError
	if !errors.As(err, &ce) {
		return err
	}
	if ce.BatchOffset < aof.FileHeaderSize {
		return fmt.Errorf("fleetdb: %s: %w: this is not a FleetDB log, or its file header is damaged", path, err)
	}
	return fmt.Errorf("fleetdb: %s: %w: the log is intact up to offset %d; `fleetdb check --repair %s` cuts it there and keeps the cut bytes in %s",
		path, err, ce.BatchOffset, path, aof.CutPath(path, ce.BatchOffset))
}

// CheckLog reads the log file at path without changing it and replays it
// as Open would, without keeping it open: the report says what the file
// holds (aof.Check), and the error is the one Open would fail with while
// replaying (a log written before calls were logged as their writes needs
// its commands, given here as in Options.Commands). Corruption and a torn
// tail are reported, not returned. Running it on a log a server is
// appending to may find a torn tail.
func CheckLog(path string, commands map[string]Command) (aof.Report, error) {
	db := newDB(Options{Path: path, Commands: commands})
	defer db.helpers.close()
	var rep aof.Report
	err := db.openLog(&rep)
	return rep, err
}

// RepairLog cuts a damaged log at the start of the batch holding the first
// damage, keeping every byte it cuts in a file beside it (see aof.Repair),
// as `fleetdb check --repair` does. It takes the log's lock, so it refuses
// a log that a database has open.
func RepairLog(path string) (aof.RepairReport, error) {
	unlock, err := lockFile(path)
	if err != nil {
		return aof.RepairReport{}, err
	}
	defer unlock()
	return aof.Repair(path, nil)
}
