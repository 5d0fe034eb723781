package protocol

import (
	"bufio"
	"bytes"
	"io"
)

// DefaultWriteBufferSize is the size of a Writer's bufio.Writer.
const DefaultWriteBufferSize = 32 << 10

// retainScratchBytes bounds the scratch buffer WriteError keeps between calls.
const retainScratchBytes = 64 << 10

// Writer writes lines, terminated by "\r\n", through a bufio.Writer: a
// server writes responses with WriteResponse and WriteError, a client writes
// requests with WriteLine. Nothing reaches the underlying writer until the
// buffer fills or Flush is called; a server pipelining responses flushes when
// its Reader has no buffered input left (see the package documentation).
//
// Write errors are sticky, as in bufio.Writer: after one, every call returns
// it. A Writer is not safe for concurrent use.
type Writer struct {
	bw *bufio.Writer
	// scratch holds the JSON encoding of WriteError's message.
	scratch []byte
}

// NewWriter returns a Writer on w with a buffer of DefaultWriteBufferSize.
func NewWriter(w io.Writer) *Writer { return NewWriterSize(w, DefaultWriteBufferSize) }

// NewWriterSize returns a Writer on w with a buffer of size bytes (bufio's
// default if size is not positive).
func NewWriterSize(w io.Writer, size int) *Writer {
	return &Writer{bw: bufio.NewWriterSize(w, size)}
}

// Reset discards any unflushed data and any write error, and makes the
// Writer write to w, keeping its buffer.
func (w *Writer) Reset(wr io.Writer) { w.bw.Reset(wr) }

// WriteResponse buffers the line "[<status>,<value>]\r\n". value must be one
// encoded JSON value; it is not validated beyond being non-empty and free of
// line feeds (ErrInvalidValue), because either of those would break the
// framing. A status outside 0..2 is ErrInvalidStatus. In both cases nothing
// is written.
func (w *Writer) WriteResponse(status Status, value []byte) error {
	if !status.Valid() {
		return ErrInvalidStatus
	}
	if len(value) == 0 || bytes.IndexByte(value, '\n') >= 0 {
		return ErrInvalidValue
	}
	w.bw.WriteByte('[')
	w.bw.WriteByte('0' + byte(status))
	w.bw.WriteByte(',')
	w.bw.Write(value)
	_, err := w.bw.WriteString("]\r\n")
	return err
}

// WriteError buffers "[<status>,<msg as a JSON string>]\r\n". The message is
// escaped as JSON requires; control characters are escaped, and invalid
// UTF-8 becomes U+FFFD so that the line is valid UTF-8.
func (w *Writer) WriteError(status Status, msg string) error {
	if !status.Valid() {
		return ErrInvalidStatus
	}
	if cap(w.scratch) > retainScratchBytes {
		w.scratch = nil
	}
	w.scratch = AppendJSONString(w.scratch[:0], msg)
	return w.WriteResponse(status, w.scratch)
}

// WriteLine buffers line followed by "\r\n". A line containing a line feed
// is ErrInvalidValue and nothing is written.
func (w *Writer) WriteLine(line []byte) error {
	if bytes.IndexByte(line, '\n') >= 0 {
		return ErrInvalidValue
	}
	w.bw.Write(line)
	_, err := w.bw.WriteString("\r\n")
	return err
}

// Buffered returns the number of bytes written but not yet flushed.
func (w *Writer) Buffered() int { return w.bw.Buffered() }

// Flush writes the buffered lines to the underlying writer.
func (w *Writer) Flush() error { return w.bw.Flush() }
