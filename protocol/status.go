package protocol

import "strconv"

// Status is the first element of every response line. Only the three values
// below exist on the wire; anything else is a malformed response.
type Status int

const (
	// StatusOK means the query succeeded; the value is its result.
	StatusOK Status = 0
	// StatusRefused means the query was refused and will be refused again
	// if sent unchanged: malformed JSON, malformed query, a violated
	// constraint, an authentication failure. The value is a message string.
	StatusRefused Status = 1
	// StatusFailed means the server could not carry the query out (I/O
	// failure, no leader, shutting down, timed out). The value is a message
	// string. The client may retry.
	StatusFailed Status = 2
)

// Valid reports whether s is one of StatusOK, StatusRefused, StatusFailed.
func (s Status) Valid() bool { return s >= StatusOK && s <= StatusFailed }

// String returns "ok", "refused", "failed", or "Status(n)" for other values.
func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusRefused:
		return "refused"
	case StatusFailed:
		return "failed"
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}
