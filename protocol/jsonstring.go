package protocol

import "github.com/fleetdb-go/fleetdb/internal/jsontext"

// AppendJSONString appends s to dst as a JSON string literal and returns the
// extended slice: '"' and '\\' are escaped, control characters become \n,
// \r, \t, \b, \f or \u00XX, U+2028 and U+2029 are escaped, and each byte of
// invalid UTF-8 becomes U+FFFD, so that the result is valid UTF-8 and never
// contains a raw line feed. Unlike encoding/json it does not escape '<',
// '>' and '&'.
func AppendJSONString(dst []byte, s string) []byte { return jsontext.AppendString(dst, s) }
