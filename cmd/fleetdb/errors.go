package main

import "errors"

// usageError is a command line that cannot be run as written (unknown
// flag, bad value, wrong number of arguments): exit status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(err error) error { return &usageError{err} }

// errCorrupt is returned by check for a log with corruption before its
// tail: exit status 1, after the report.
var errCorrupt = errors.New("the log is corrupt")
