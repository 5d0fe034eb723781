package client

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/fleetdb-go/fleetdb/protocol"
)

// ErrClosed is returned by calls made after Close, and by calls that were
// waiting for a free connection when Close was called. Such a query was
// never sent.
var ErrClosed = errors.New("client: closed")

// ErrOutcomeUnknown is wrapped by the error of a query that was sent, or may
// have been partly sent, and whose answer was not received: the connection
// failed or was closed, the ctx ended while waiting, the answer was too large
// or not a valid response line. The server may or may not have run the query.
// The client never retries on its own; only the caller knows whether its
// query is safe to send again (a read is, an insert may not be). The error
// also wraps the cause, e.g. context.DeadlineExceeded or io.ErrUnexpectedEOF.
// It has the name of the embedded API's fleetdb.ErrOutcomeUnknown (a cluster
// write whose outcome is unknown), which means the same.
var ErrOutcomeUnknown = errors.New("client: query sent but its outcome is unknown")

// ErrUnknownOutcome is ErrOutcomeUnknown, the same value.
//
// Deprecated: use ErrOutcomeUnknown, the name package fleetdb uses too.
var ErrUnknownOutcome = ErrOutcomeUnknown

// ErrRefused is matched (errors.Is) by every *Error with status 1: the
// server refused the query (malformed, constraint violated, a failing
// command, authentication) and changed nothing. It is the client's name for
// what fleetdb.ErrRefused is in the embedded API; IsRefused tests the same.
var ErrRefused = errors.New("client: refused")

// ErrUnavailable is matched (errors.Is) by every *Error with status 2: the
// server could not carry the query out (closed, log failed, timed out) and
// it may be sent again, as with fleetdb.ErrUnavailable; IsRetryable tests
// the same.
var ErrUnavailable = errors.New("client: unavailable")

// ErrInvalidQuery is wrapped by the error of a query that cannot be sent:
// it does not marshal to JSON, or a json.RawMessage or []byte query is empty
// or spans several lines. Nothing was sent.
var ErrInvalidQuery = errors.New("client: invalid query")

// ErrAuth is wrapped by the error Dial returns (and a query returns, when it
// needs a new connection) when the server refuses the password or answers
// auth unexpectedly. When the server refused, the error also wraps the
// *Error carrying its message (protocol.MsgAuthRejected).
var ErrAuth = errors.New("client: authentication failed")

// ErrResponseTooLarge is wrapped, along with ErrOutcomeUnknown, by the error
// of a query whose answer was longer than WithMaxResponseBytes allows. The
// answer was read and thrown away; the connection stays usable. It is
// protocol.ErrTooLarge, so errors.Is works with either name.
var ErrResponseTooLarge = protocol.ErrTooLarge

// ErrUnexpectedResult is wrapped by the error of a typed helper (Count,
// Insert, ...) when the server answered with status 0 but a value of another
// shape than the query's result should have.
var ErrUnexpectedResult = errors.New("client: unexpected result")

// Error is a query answered with status 1 (refused) or 2 (failed). Test
// with errors.As, IsRefused or IsRetryable.
type Error struct {
	// Status is protocol.StatusRefused or protocol.StatusFailed.
	Status protocol.Status
	// Message is the server's message, e.g. "Malformed query: ...". Match
	// it against the protocol.Prefix* and protocol.Msg* constants with
	// HasPrefix.
	Message string
}

// Error returns "client: <status>: <message>", e.g.
// "client: refused: Duplicated id: 7".
func (e *Error) Error() string { return "client: " + e.Status.String() + ": " + e.Message }

// Is makes an *Error match ErrRefused (status 1) or ErrUnavailable
// (status 2).
func (e *Error) Is(target error) bool {
	switch target {
	case ErrRefused:
		return e.Status == protocol.StatusRefused
	case ErrUnavailable:
		return e.Status == protocol.StatusFailed
	}
	return false
}

// HasPrefix reports whether the server's message starts with prefix, e.g.
// protocol.PrefixDuplicatedID.
func (e *Error) HasPrefix(prefix string) bool { return strings.HasPrefix(e.Message, prefix) }

// IsRefused reports whether err is or wraps an *Error with status 1: the
// server refused the query (malformed, constraint violated, authentication)
// and will refuse it again if it is sent unchanged.
func IsRefused(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == protocol.StatusRefused
}

// IsRetryable reports whether err is or wraps an *Error with status 2: the
// server could not carry the query out and it may be sent again. Errors
// wrapping ErrOutcomeUnknown are not reported as retryable: whether they are
// depends on the query.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == protocol.StatusFailed
}

// serverError builds the *Error for a status 1 or 2 answer. The value is
// normally a JSON string; anything else is kept as its JSON text.
func serverError(status protocol.Status, value json.RawMessage) *Error {
	var msg string
	if err := json.Unmarshal(value, &msg); err != nil {
		msg = string(value)
	}
	return &Error{Status: status, Message: msg}
}

// closesConn reports whether the server closes the connection after
// answering with e (docs/protocol.md: auth failures; shutting down).
func (e *Error) closesConn() bool {
	return e.Message == protocol.MsgAuthNeeded || e.Message == protocol.MsgAuthRejected ||
		e.Status == protocol.StatusFailed && e.Message == protocol.MsgShuttingDown
}
