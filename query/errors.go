package query

import (
	"errors"
	"fmt"
)

// Kind classifies a refused query. Every kind maps to protocol status 1
// (refused); the message text starts with the prefix of docs/protocol.md.
type Kind int

const (
	// KindMalformedJSON: the request is not valid JSON.
	KindMalformedJSON Kind = iota + 1
	// KindMalformedQuery: valid JSON that is not a valid query.
	KindMalformedQuery
	// KindNoID: a record without an id.
	KindNoID
	// KindDuplicateID: an id already present or repeated in the batch.
	KindDuplicateID
	// KindCommand: a user-defined command returned an error; Err holds it.
	KindCommand
)

// ErrRefused matches (with errors.Is) every *Error: the query was refused
// and nothing changed.
var ErrRefused = errors.New("query refused")

// Error is a refused query. Msg is the user-facing message of docs/protocol.md,
// including its prefix ("Malformed query: ...").
type Error struct {
	Kind Kind
	Msg  string
	Err  error // the user command's error, for KindCommand
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the user command's error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrRefused) true for every *Error.
func (e *Error) Is(target error) bool { return target == ErrRefused }

func malformed(format string, args ...any) *Error {
	return &Error{Kind: KindMalformedQuery, Msg: "Malformed query: " + fmt.Sprintf(format, args...)}
}

func malformedJSON(format string, args ...any) *Error {
	return &Error{Kind: KindMalformedJSON, Msg: "Malformed JSON: " + fmt.Sprintf(format, args...)}
}

func duplicated(idJSON string) *Error {
	return &Error{Kind: KindDuplicateID, Msg: "Duplicated id: " + idJSON}
}

var errNoID = &Error{Kind: KindNoID, Msg: "Record does not have an id"}
