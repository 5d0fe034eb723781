package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/protocol"
)

// Exit statuses of the fleetdb command (documented in `fleetdb --help` and
// the README). The admin commands keep the protocol's two kinds of server
// errors apart, so that a script can tell "do not retry" from "may retry".
const (
	exitOK          = 0
	exitFailure     = 1 // any other failure: a local file, a bad input line, a corrupt log, ...
	exitUsage       = 2 // the command line cannot be run as written
	exitRefused     = 3 // the server refused (status 1): malformed query, constraint, auth rejected
	exitFailed      = 4 // the server could not carry the query out (status 2): may be retried
	exitUnreachable = 5 // no connection to the server, or it was lost mid-query
)

// usageError is a command line that cannot be run as written (unknown
// flag, bad value, wrong number of arguments): exit status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(err error) error { return &usageError{err} }

// errCorrupt is returned by check for a log with corruption before its
// tail: exit status 1, after the report.
var errCorrupt = errors.New("the log is corrupt")

// unreachableError is a server that could not be reached, or a connection
// that was lost mid-query: exit status 5.
type unreachableError struct {
	addr string
	err  error
}

func (e *unreachableError) Error() string {
	if errors.Is(e.err, client.ErrUnknownOutcome) {
		return fmt.Sprintf("connection to %s lost; the query may or may not have run: %v", e.addr, e.err)
	}
	return fmt.Sprintf("cannot reach a FleetDB server at %s: %v", e.addr, e.err)
}

func (e *unreachableError) Unwrap() error { return e.err }

// serverError is a query the server answered with status 1 or 2, with the
// command's words around the server's message.
type serverError struct {
	what string // what was asked, e.g. `query`, `create-index`
	err  *client.Error
}

func (e *serverError) Error() string {
	if e.err.Status == protocol.StatusRefused {
		return fmt.Sprintf("%s: the server refused it: %s", e.what, e.err.Message)
	}
	return fmt.Sprintf("%s: the server could not carry it out (it may be retried): %s", e.what, e.err.Message)
}

func (e *serverError) Unwrap() error { return e.err }

// wrapServer gives err, an error of a client call made to do what, the
// type exitStatus maps: a bare *client.Error becomes a *serverError, a lost
// connection an *unreachableError. Errors that already say what they are
// about stay as they are; others get what as a prefix.
func wrapServer(what, addr string, err error) error {
	if err == nil {
		return nil
	}
	var ue *unreachableError
	var se *serverError
	switch {
	case errors.As(err, &se), errors.As(err, &ue):
		return err
	}
	if ce, ok := err.(*client.Error); ok {
		return &serverError{what: what, err: ce}
	}
	switch {
	case errors.As(err, new(*client.Error)):
		return err // an error with its own context around the server's
	case errors.Is(err, client.ErrUnknownOutcome) && !errors.Is(err, context.Canceled):
		return &unreachableError{addr: addr, err: err}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// exitStatus maps a command's error to the process exit status.
func exitStatus(err error) int {
	var ue *usageError
	var ce *client.Error
	var re *unreachableError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &re):
		return exitUnreachable
	case errors.As(err, &ce):
		if ce.Status == protocol.StatusRefused {
			return exitRefused
		}
		return exitFailed
	}
	return exitFailure
}
