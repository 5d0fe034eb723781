package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
)

// appendRequest appends q as one request line, "\r\n" included, to dst.
//
// A json.RawMessage or []byte is sent as it is, trimmed of surrounding
// whitespace, after checking that it is not empty and holds no line feed; it
// is not otherwise validated (the server answers invalid JSON with a
// "Malformed JSON" refusal). Anything else is marshaled with encoding/json,
// without HTML escaping.
func appendRequest(dst []byte, q any) ([]byte, error) {
	var raw []byte
	switch v := q.(type) {
	case json.RawMessage:
		raw = v
	case *json.RawMessage:
		if v == nil {
			return dst, fmt.Errorf("%w: nil", ErrInvalidQuery)
		}
		raw = *v
	case []byte:
		raw = v
	default:
		e := encoders.Get().(*encoder)
		defer e.release()
		if err := e.enc.Encode(q); err != nil {
			return dst, fmt.Errorf("%w: %w", ErrInvalidQuery, err)
		}
		raw = e.buf.Bytes()
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return dst, fmt.Errorf("%w: empty", ErrInvalidQuery)
	}
	if bytes.IndexByte(raw, '\n') >= 0 {
		return dst, fmt.Errorf("%w: spans several lines", ErrInvalidQuery)
	}
	dst = append(dst, raw...)
	return append(dst, '\r', '\n'), nil
}

// encoder is a json.Encoder writing into its own reusable buffer.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var encoders = sync.Pool{New: func() any {
	e := new(encoder)
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}

// release returns e to the pool, unless its buffer grew large.
func (e *encoder) release() {
	if e.buf.Cap() > 64<<10 {
		return
	}
	e.buf.Reset()
	encoders.Put(e)
}

// requestBufs holds buffers for single-query request lines.
var requestBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func getRequestBuf() *[]byte { return requestBufs.Get().(*[]byte) }

func putRequestBuf(b *[]byte) {
	if cap(*b) > 64<<10 {
		return
	}
	*b = (*b)[:0]
	requestBufs.Put(b)
}
