package protocol

import "strconv"

// Message texts of the wire protocol (docs/protocol.md). Error values start with
// one of the prefixes so that clients can match them with strings.HasPrefix;
// the rest of the message is free text for humans.
const (
	// PrefixMalformedJSON starts the message of a request line that is not
	// valid JSON (status 1).
	PrefixMalformedJSON = "Malformed JSON: "
	// PrefixMalformedQuery starts the message of a request that is valid
	// JSON but not a valid query (status 1).
	PrefixMalformedQuery = "Malformed query: "
	// PrefixDuplicatedID starts the message of an insert refused because of
	// an id already present or repeated in the batch (status 1).
	PrefixDuplicatedID = "Duplicated id: "
	// MsgNoID is the message of an insert refused because a record has no
	// id (status 1). It may be followed by details.
	MsgNoID = "Record does not have an id"
	// PrefixRequestTooLarge starts the message answering a request line
	// longer than the server's limit (status 1). See RequestTooLargeMessage.
	PrefixRequestTooLarge = "Request too large: "
	// MsgAuthNeeded answers any first query other than auth on a server
	// with a password (status 1); the server then closes the connection.
	MsgAuthNeeded = "auth needed"
	// MsgAuthRejected answers an auth query with a wrong password
	// (status 1); the server then closes the connection.
	MsgAuthRejected = "auth rejected"
	// MsgShuttingDown answers queries the server will not run because it
	// is stopping (status 2).
	MsgShuttingDown = "shutting down"
)

// Values of a successful ["auth", password] query (status 0).
const (
	// AuthAccepted is the value of a successful auth.
	AuthAccepted = "auth accepted"
	// AuthUnneeded is the value of auth on a server without a password, or
	// of a second auth on an authenticated connection.
	AuthUnneeded = "auth unneeded"
)

// RequestTooLargeMessage returns the message for a request line longer than
// limit bytes: "Request too large: line exceeds <limit> bytes".
func RequestTooLargeMessage(limit int) string {
	return PrefixRequestTooLarge + "line exceeds " + strconv.Itoa(limit) + " bytes"
}
