package protocol

import (
	"encoding/json"
	"fmt"

	"github.com/fleetdb-go/fleetdb/internal/jsontext"
)

// ParseResponse splits a response line (without its terminator, as
// Reader.ReadLine returns it) into its status and its value. The line must be
// a JSON array of exactly two elements: an integer 0, 1 or 2 written without
// fraction or exponent, and any JSON value. Whitespace allowed by JSON is
// accepted around the elements. Anything else is an error wrapping
// ErrMalformedResponse.
//
// The value is returned as it appears on the line, without surrounding
// whitespace; it aliases line, so copy it if line is a Reader's buffer.
// For StatusRefused and StatusFailed it is normally a JSON string.
func ParseResponse(line []byte) (Status, json.RawMessage, error) {
	b := jsontext.TrimSpace(line)
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return 0, nil, malformed("not a JSON array", line)
	}
	b = b[1 : len(b)-1]
	i := jsontext.SkipSpace(b, 0)
	// The status: a JSON integer, so no leading '+', no leading zeros.
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	switch {
	case i == digits:
		return 0, nil, malformed("status is not an integer", line)
	case b[digits] == '0' && i-digits > 1:
		return 0, nil, malformed("status has a leading zero", line)
	case i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E'):
		return 0, nil, malformed("status is not an integer", line)
	}
	if b[start] == '-' || i-digits > 1 || b[digits] > '2' {
		return 0, nil, malformed("status out of range 0..2", line)
	}
	status := Status(b[digits] - '0')
	i = jsontext.SkipSpace(b, i)
	if i >= len(b) || b[i] != ',' {
		return 0, nil, malformed("expected ',' after the status", line)
	}
	value := jsontext.TrimSpace(b[i+1:])
	if len(value) == 0 {
		return 0, nil, malformed("no value", line)
	}
	// The array's closing bracket is the last byte of the line, so the
	// value is everything between the comma and it: if that is one valid
	// JSON value, the array has exactly two elements.
	if !jsontext.Valid(value) {
		return 0, nil, malformed("value is not one JSON value", line)
	}
	return status, json.RawMessage(value), nil
}

// malformed returns an error wrapping ErrMalformedResponse that quotes the
// start of line.
func malformed(why string, line []byte) error {
	const quote = 64
	if len(line) > quote {
		return fmt.Errorf("%w: %s: %q...", ErrMalformedResponse, why, line[:quote])
	}
	return fmt.Errorf("%w: %s: %q", ErrMalformedResponse, why, line)
}
