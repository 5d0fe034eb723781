package protocol

import (
	"errors"
	"strconv"
)

// ErrTooLarge is wrapped by every *TooLargeError: a line was longer than the
// Reader's MaxLineBytes. Test with errors.Is(err, ErrTooLarge).
var ErrTooLarge = errors.New("protocol: line too large")

// ErrMalformedResponse is wrapped by the errors of ParseResponse: the line is
// not a JSON array [status, value] with status 0, 1 or 2.
var ErrMalformedResponse = errors.New("protocol: malformed response")

// ErrInvalidStatus is returned by Writer.WriteResponse and Writer.WriteError
// for a status other than StatusOK, StatusRefused, StatusFailed. Nothing is
// written.
var ErrInvalidStatus = errors.New("protocol: invalid status")

// ErrInvalidValue is returned by Writer.WriteResponse for an empty value or
// one containing a line feed, and by Writer.WriteLine for a line containing a
// line feed: either would break the framing. Nothing is written.
var ErrInvalidValue = errors.New("protocol: value is empty or spans lines")

// TooLargeError is returned by Reader.ReadLine for a line longer than the
// reader's limit. By then the rest of the line has been read and thrown
// away, so the next ReadLine returns the following line. It wraps
// ErrTooLarge.
type TooLargeError struct {
	// Limit is the reader's MaxLineBytes.
	Limit int
}

// Error returns "protocol: line too large: more than <Limit> bytes".
func (e *TooLargeError) Error() string {
	return ErrTooLarge.Error() + ": more than " + strconv.Itoa(e.Limit) + " bytes"
}

// Unwrap returns ErrTooLarge.
func (e *TooLargeError) Unwrap() error { return ErrTooLarge }
