package jsontext

import (
	"bytes"
	"encoding/json"
)

// Marshal is json.Marshal without escaping <, > and & (the operators of a
// condition), so that a Go value marshals to the text a user would type:
// the embedded API's Find and Cond and the client's queries send it.
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
