package server

import (
	"crypto/sha256"
	"crypto/subtle"

	"github.com/fleetdb-go/fleetdb/query"
)

// parseAuth parses an ["auth", password] request and returns the password.
// A malformed one (wrong arity, password not a string, bad JSON) is the
// parser's *query.Error.
func parseAuth(line []byte) (string, error) {
	q, err := query.Parse(line)
	if err != nil {
		return "", err
	}
	a, ok := q.(query.Auth)
	if !ok {
		// queryIndex said auth, so the parser must agree.
		return "", &query.Error{Kind: query.KindMalformedQuery, Msg: "Malformed query: expected auth"}
	}
	return a.Password, nil
}

// checkPassword compares pw with the server's password in constant time:
// both are hashed first, so the time does not depend on where they differ
// nor on their lengths.
func (s *Server) checkPassword(pw string) bool {
	sum := sha256.Sum256([]byte(pw))
	return subtle.ConstantTimeCompare(sum[:], s.password[:]) == 1
}
