package cliutil

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/spf13/cobra"
)

// Exit statuses of the fleetdb command (documented in `fleetdb --help` and
// the README). The admin commands keep the protocol's two kinds of server
// errors apart, so that a script can tell "do not retry" from "may retry".
const (
	ExitOK          = 0
	ExitFailure     = 1 // any other failure: a local file, a bad input line, a corrupt log, ...
	ExitUsage       = 2 // the command line cannot be run as written
	ExitRefused     = 3 // the server refused (status 1): malformed query, constraint, auth rejected
	ExitFailed      = 4 // the server could not carry the query out (status 2): may be retried
	ExitUnreachable = 5 // no connection to the server, or it was lost mid-query
)

// usageError is a command line that cannot be run as written (unknown
// flag, bad value, wrong number of arguments): exit status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func Usagef(err error) error { return &usageError{err} }

// ErrCorrupt is returned by check for a log with corruption before its
// tail: exit status 1, after the report.
var ErrCorrupt = errors.New("the log is corrupt")

// UnreachableError is a server that could not be reached, or a connection
// that was lost mid-query: exit status 5.
type UnreachableError struct {
	Addr string
	Err  error
}

func (e *UnreachableError) Error() string {
	if errors.Is(e.Err, client.ErrOutcomeUnknown) {
		return fmt.Sprintf("connection to %s lost; the query may or may not have run: %v", e.Addr, e.Err)
	}
	return fmt.Sprintf("cannot reach a FleetDB server at %s: %v", e.Addr, withoutAddr(e.Err))
}

// withoutAddr is the cause of a dial error without the layers that repeat
// the address ("client: dial A: dial tcp A: connect: connection refused"
// becomes "connect: connection refused").
func withoutAddr(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// serverError is a query the server answered with status 1 or 2, with the
// command's words around the server's message.
type serverError struct {
	what string // what was asked, e.g. `query`, `create-index`
	err  *client.Error
}

func (e *serverError) Error() string {
	if client.IsRefused(e.err) {
		if strings.HasPrefix(e.err.Message, "auth needed") {
			return fmt.Sprintf("%s: the server refused it: %s (the server has a password: give it with --password or %s)", e.what, e.err.Message, EnvPassword)
		}
		return fmt.Sprintf("%s: the server refused it: %s", e.what, e.err.Message)
	}
	if strings.Contains(e.err.Message, untilRestart) {
		return fmt.Sprintf("%s: the server could not carry it out, and will refuse every write until it is restarted: %s", e.what, e.err.Message)
	}
	return fmt.Sprintf("%s: the server could not carry it out (it may be retried): %s", e.what, e.err.Message)
}

// untilRestart is in the message of a server whose log has failed (the
// database's "the log failed; writes are refused until restart"): a retry
// cannot succeed then, so the command does not invite one.
const untilRestart = "refused until restart"

func (e *serverError) Unwrap() error { return e.err }

// WrapServer gives err, an error of a client call made to do what, the
// type ExitStatus maps: a bare *client.Error becomes a *serverError, a lost
// connection an *UnreachableError. Errors that already say what they are
// about stay as they are; others get what as a prefix.
func WrapServer(what, addr string, err error) error {
	if err == nil {
		return nil
	}
	var ue *UnreachableError
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
	case errors.Is(err, client.ErrOutcomeUnknown) && !errors.Is(err, context.Canceled):
		return &UnreachableError{Addr: addr, Err: err}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// ExitStatus maps a command's error to the process exit status.
func ExitStatus(err error) int {
	var ue *usageError
	var ce *client.Error
	var re *UnreachableError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		return ExitUsage
	case errors.As(err, &re):
		return ExitUnreachable
	case errors.As(err, &ce):
		if client.IsRefused(ce) {
			return ExitRefused
		}
		return ExitFailed
	}
	return ExitFailure
}

// ExactArgs is cobra.ExactArgs returning a usage error.
func ExactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return Usagef(err)
		}
		return nil
	}
}

// Message is how the command line shows err: "fleetdb: " and the error,
// without a second "fleetdb: " when the error comes from the fleetdb
// package and already starts with it.
func Message(err error) string {
	return "fleetdb: " + strings.TrimPrefix(err.Error(), "fleetdb: ")
}
