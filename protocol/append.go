package protocol

import "bytes"

// AppendResponse appends the line "[<status>,<value>]\r\n" to dst, the
// line Writer.WriteResponse writes, for servers that assemble their answers
// in a buffer of their own (an event loop writing each connection's answers
// with one system call). value is checked as WriteResponse checks it; on an
// error dst is returned unchanged.
func AppendResponse(dst []byte, status Status, value []byte) ([]byte, error) {
	if !status.Valid() {
		return dst, ErrInvalidStatus
	}
	if len(value) == 0 || bytes.IndexByte(value, '\n') >= 0 {
		return dst, ErrInvalidValue
	}
	dst = append(dst, '[', '0'+byte(status), ',')
	dst = append(dst, value...)
	return append(dst, "]\r\n"...), nil
}

// AppendError appends "[<status>,<msg as a JSON string>]\r\n" to dst, the
// line Writer.WriteError writes. A status outside 0..2 is ErrInvalidStatus
// and dst is returned unchanged.
func AppendError(dst []byte, status Status, msg string) ([]byte, error) {
	if !status.Valid() {
		return dst, ErrInvalidStatus
	}
	dst = append(dst, '[', '0'+byte(status), ',')
	dst = AppendJSONString(dst, msg)
	return append(dst, "]\r\n"...), nil
}
