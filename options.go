package fleetdb

import (
	"errors"
	"log/slog"
)

// Options configure Open. The zero value is an ephemeral database.
type Options struct {
	// Path is the log file; "" keeps nothing on disk (ephemeral).
	Path string
	// Logger receives the database's log; nil discards it.
	Logger *slog.Logger
	// MaxBatch is the most writes applied, persisted and published together
	// (0: 256).
	MaxBatch int
	// QueueSize bounds the writes waiting for the writer; a full queue makes
	// writers wait (0: 4096).
	QueueSize int
}

// Validate checks the options.
func (o Options) Validate() error {
	if o.MaxBatch < 0 || o.QueueSize < 0 {
		return errors.New("fleetdb: Options.MaxBatch and QueueSize must not be negative")
	}
	if o.Path != "" {
		return errors.New("fleetdb: Options.Path: persistent mode is not available yet")
	}
	return nil
}
