package fleetdb

import (
	"errors"

	"github.com/fleetdb-go/fleetdb/query"
)

// ErrRefused matches every refused query: malformed JSON or query, a
// violated constraint, a failing user command. Nothing changed. Use
// errors.As with *query.Error for the kind and message.
var ErrRefused = query.ErrRefused

// ErrUnavailable matches every failure to carry a query out (protocol
// status 2): the database is closed, its log failed, a write timed out.
var ErrUnavailable = errors.New("fleetdb: unavailable")

// ErrClosed is returned after Close. It matches ErrUnavailable.
var ErrClosed = &unavailableError{msg: "fleetdb: database is closed"}

type unavailableError struct {
	msg string
	err error
}

func (e *unavailableError) Error() string {
	if e.err != nil {
		return e.msg + ": " + e.err.Error()
	}
	return e.msg
}
func (e *unavailableError) Unwrap() error        { return e.err }
func (e *unavailableError) Is(target error) bool { return target == ErrUnavailable }

// unavailable wraps err as a status-2 failure.
func unavailable(msg string, err error) error { return &unavailableError{msg: msg, err: err} }
