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
}

// Validate checks the options.
func (o Options) Validate() error {
	if o.Path != "" {
		return errors.New("fleetdb: Options.Path: persistent mode is not available yet")
	}
	return nil
}
