package aof

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

const (
	// readBufferSize is the buffered reader's size for replay. A batch that fits in it is
	// validated and replayed from the buffer without a copy; a larger one is read twice.
	readBufferSize = 1 << 20

	// minZeroRun is how long an all-zero suffix of the file starting inside a damaged frame
	// must be to explain the damage, unless it starts at a sector boundary (see
	// explainedByZeros).
	minZeroRun = 8

	// sectorSize: file systems that expose unwritten data after a crash show it as zeros
	// from a sector or block boundary on.
	sectorSize = 512
)

// problem is a damaged or incomplete frame found by frameReader.
type problem struct {
	torn   bool   // the file ends inside the frame or its batch
	reason string // what is wrong
	off    int64  // offset of the frame
	extent int64  // end of the bytes whose check failed
}

func (p *problem) Error() string { return fmt.Sprintf("aof: %s at offset %d", p.reason, p.off) }

// frameReader decodes frames and batches sequentially from a buffered reader without
// allocating per record.
type frameReader struct {
	f   io.ReaderAt
	br  *bufio.Reader
	off int64  // offset of the next frame
	end int64  // offset where reading stops (the file size)
	big []byte // payloads too long for br's buffer are read into this reused buffer
	hdr [frameHeaderSize]byte
}

// newFrameReader reads frames from f between start and end, reusing br if it is not nil.
func newFrameReader(f io.ReaderAt, start, end int64, br *bufio.Reader) *frameReader {
	if br == nil {
		br = bufio.NewReaderSize(nil, int(min(max(end-start, 4096), readBufferSize)))
	}
	r := &frameReader{f: f, br: br, end: end}
	r.seek(start)
	return r
}

// seek positions the reader at off.
func (r *frameReader) seek(off int64) {
	r.br.Reset(io.NewSectionReader(r.f, off, r.end-off))
	r.off = off
}

// batch reads the next batch and, once all its frames and its end marker are validated,
// calls fn (if not nil) for each of its records in order; a record is valid during the call.
// It returns the number of records. At the end of the file it returns io.EOF; for a damaged
// or incomplete frame or batch a *problem (and fn was not called for that batch); an error
// of fn wrapped with the record's offset; or an I/O error.
func (r *frameReader) batch(fn func(rec []byte) error) (int, error) {
	if r.off == r.end {
		return 0, io.EOF
	}
	if n, size, ok := r.peekBatch(); ok {
		buf, err := r.br.Peek(size)
		if err != nil {
			return 0, r.readError(err)
		}
		if fn != nil {
			for pos := 0; pos < size; {
				length := int(frameLength(buf[pos:]))
				if err := fn(buf[pos+frameHeaderSize : pos+frameHeaderSize+length]); err != nil {
					return 0, fmt.Errorf("aof: replay record at offset %d: %w", r.off+int64(pos), err)
				}
				pos += frameHeaderSize + length
			}
		}
		if _, err := r.br.Discard(size); err != nil {
			return 0, r.readError(err)
		}
		r.off += int64(size)
		return n, nil
	}

	// Slow path: a batch larger than the buffer, or one that ends in trouble. Validate it
	// frame by frame, then read it again for fn.
	start := r.off
	n := 0
	for {
		_, end, err := r.next()
		if err == io.EOF {
			return 0, &problem{torn: true, reason: "last batch has no end marker", off: start, extent: r.end}
		}
		if err != nil {
			return 0, err
		}
		n++
		if end {
			break
		}
	}
	if fn == nil {
		return n, nil
	}
	stop := r.off
	r.seek(start)
	for r.off < stop {
		off := r.off
		rec, _, err := r.next()
		if err != nil { // the file changed under us
			if p, ok := err.(*problem); ok {
				return 0, &CorruptError{Offset: p.off, Reason: p.reason + " (file changed while read)"}
			}
			return 0, err
		}
		if err := fn(rec); err != nil {
			return 0, fmt.Errorf("aof: replay record at offset %d: %w", off, err)
		}
	}
	return n, nil
}

// peekBatch validates the next batch inside the read buffer without consuming it. ok is
// false if the batch does not fit in the buffer or anything about it is wrong; the slow path
// then finds out what.
func (r *frameReader) peekBatch() (records, size int, ok bool) {
	limit := int(min(int64(r.br.Size()), r.end-r.off))
	pos := 0
	for {
		if pos+frameHeaderSize > limit {
			return 0, 0, false
		}
		buf, err := r.br.Peek(pos + frameHeaderSize)
		if err != nil {
			return 0, 0, false
		}
		fr, reason := parseFrameHeader(buf[pos:])
		if reason != "" {
			return 0, 0, false
		}
		total := frameHeaderSize + int(fr.length)
		if pos+total > limit {
			return 0, 0, false
		}
		buf, err = r.br.Peek(pos + total)
		if err != nil || !checkPayload(buf[pos:], fr, buf[pos+frameHeaderSize:pos+total]) {
			return 0, 0, false
		}
		pos += total
		records++
		if fr.end {
			return records, pos, true
		}
	}
}

// next reads the next frame and returns its record and whether it ends its batch. The record
// is valid until the next call. At the end it returns io.EOF; for a damaged or incomplete
// frame a *problem; any other error is an I/O error.
func (r *frameReader) next() (rec []byte, end bool, err error) {
	left := r.end - r.off
	if left == 0 {
		return nil, false, io.EOF
	}
	if left < frameHeaderSize {
		return nil, false, &problem{torn: true, reason: "file ends inside a frame header", off: r.off, extent: r.end}
	}
	h, err := r.br.Peek(frameHeaderSize)
	if err != nil {
		return nil, false, r.readError(err)
	}
	fr, reason := parseFrameHeader(h)
	if reason != "" {
		return nil, false, &problem{reason: reason, off: r.off, extent: r.off + frameHeaderSize}
	}
	total := frameHeaderSize + int64(fr.length)
	if total > left {
		return nil, false, &problem{torn: true, reason: "file ends inside a record", off: r.off, extent: r.end}
	}
	if total <= int64(r.br.Size()) {
		p, err := r.br.Peek(int(total))
		if err != nil {
			return nil, false, r.readError(err)
		}
		rec = p[frameHeaderSize:]
		if !checkPayload(p, fr, rec) {
			return nil, false, &problem{reason: "checksum mismatch", off: r.off, extent: r.off + total}
		}
		if _, err := r.br.Discard(int(total)); err != nil {
			return nil, false, r.readError(err)
		}
	} else {
		hb := r.hdr[:]
		copy(hb, h)
		if _, err := r.br.Discard(frameHeaderSize); err != nil {
			return nil, false, r.readError(err)
		}
		if cap(r.big) < int(fr.length) {
			r.big = make([]byte, fr.length)
		}
		rec = r.big[:fr.length]
		if _, err := io.ReadFull(r.br, rec); err != nil {
			return nil, false, r.readError(err)
		}
		if !checkPayload(hb, fr, rec) {
			return nil, false, &problem{reason: "checksum mismatch", off: r.off, extent: r.off + total}
		}
	}
	r.off += total
	return rec, fr.end, nil
}

// readError wraps an error of the underlying reader. Running out of data here means the file
// shrank while it was read.
func (r *frameReader) readError(err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("aof: read at offset %d: %w", r.off, err)
}

// ReasonWrittenAhead is the torn-tail reason (Report.TornReason) of the zeros a preallocated
// log keeps ahead of its end while open: a log that was not closed (a crash or a kill) ends
// with them, whether or not an append was cut short.
const ReasonWrittenAhead = "zeros written ahead of the log's end (preallocated), left because the log was not closed"

// scanResult classifies a log file: a valid prefix of whole batches, then either nothing, a
// torn tail, or corruption.
type scanResult struct {
	size     int64 // file size
	validEnd int64 // end of the last complete batch; 0 if even the file header is missing
	records  int64 // records in the complete batches
	batches  int64 // complete batches

	flags      uint16        // the file header's flags
	tornReason string        // non-empty: the bytes from validEnd to size are a torn tail
	corrupt    *CorruptError // non-nil: corruption found; validEnd is the start of its batch
}

// walk reads a log file of the given size, classifies it, and calls fn (if not nil) for
// every record of every complete batch before the first damage, in order. It reads the file
// once (batches larger than the read buffer twice) and hands a batch to fn only after its
// end frame was validated, so no record of a torn batch is ever replayed; but it may replay
// batches before finding corruption further on. It returns an error for I/O errors, for a
// header wrapping ErrVersion and for an error of fn; corruption is reported in the result.
// br, if not nil, is reused for reading.
func walk(f io.ReaderAt, size int64, br *bufio.Reader, fn func(rec []byte) error) (scanResult, error) {
	res := scanResult{size: size}
	if size < FileHeaderSize {
		b := make([]byte, size)
		if _, err := f.ReadAt(b, 0); err != nil {
			return res, fmt.Errorf("aof: read file header: %w", err)
		}
		switch {
		case size == 0:
		case tornFileHeader(b):
			res.tornReason = "file ends inside the file header"
		default:
			res.corrupt = &CorruptError{Offset: 0, Reason: "bad file header"}
		}
		return res, nil
	}
	zeroFrom, err := zeroTailStart(f, size)
	if err != nil {
		return res, err
	}
	var h [FileHeaderSize]byte
	if _, err := f.ReadAt(h[:], 0); err != nil {
		return res, fmt.Errorf("aof: read file header: %w", err)
	}
	flags, err := checkFileHeader(h[:])
	if err != nil {
		var ce *CorruptError
		switch {
		case !errors.As(err, &ce):
			return res, err
		case explainedByZeros(zeroFrom, size, &problem{extent: FileHeaderSize}) &&
			tornFileHeader(h[:zeroFrom]):
			res.tornReason = "zero-filled file header"
		default:
			res.corrupt = ce
		}
		return res, nil
	}

	res.flags = flags
	res.validEnd = FileHeaderSize
	fr := newFrameReader(f, FileHeaderSize, size, br)
	for {
		n, err := fr.batch(fn)
		if err == io.EOF {
			return res, nil
		}
		if p, ok := err.(*problem); ok {
			switch {
			case p.torn:
				res.tornReason = p.reason
			case explainedByZeros(zeroFrom, size, p) && flags&flagPreallocated != 0:
				res.tornReason = ReasonWrittenAhead
			case explainedByZeros(zeroFrom, size, p):
				res.tornReason = "zero-filled tail"
			case flags&flagPreallocated != 0 && tornPreallocated(zeroFrom, p):
				res.tornReason = "torn append in the preallocated tail"
			default:
				res.corrupt = &CorruptError{Offset: p.off, Reason: p.reason, BatchOffset: res.validEnd}
			}
			return res, nil
		}
		if err != nil {
			return res, err
		}
		res.batches++
		res.records += int64(n)
		res.validEnd = fr.off
	}
}

// explainedByZeros reports whether a damaged frame is what a crash leaves behind when the file
// system had extended the file but not yet written its data: every byte from zeroFrom to the
// end of the file is zero, the zero run starts inside or before the damaged frame, and it
// covers the frame's start, or starts at a sector boundary, or is at least minZeroRun bytes
// long. A flipped byte in a committed frame cannot look like that unless the record itself
// ends in zero bytes (or the flipped byte is the file's last one and sits on a sector
// boundary).
func explainedByZeros(zeroFrom, size int64, p *problem) bool {
	if zeroFrom >= size || zeroFrom >= p.extent {
		return false
	}
	return zeroFrom <= p.off || zeroFrom%sectorSize == 0 || size-zeroFrom >= minZeroRun
}

// tornPreallocated reports whether a damaged frame in a preallocated log is what a crash
// during an append leaves behind there: the append overwrote zeros written ahead, and the
// file system wrote back some of its pages and not others, in any order, so zeros may sit
// before bytes of the same append. An append writes at most maxUnsynced bytes between two
// fsyncs and the damaged frame lies inside them, so every byte from p.off+maxUnsynced on is
// zero (or past the end of the file). Damage with non-zero bytes further on is corruption.
func tornPreallocated(zeroFrom int64, p *problem) bool {
	return zeroFrom <= p.off+maxUnsynced
}

// zeroTailStart returns the offset where the all-zero suffix of the file starts (size if the
// last byte is not zero).
func zeroTailStart(f io.ReaderAt, size int64) (int64, error) {
	buf := make([]byte, 4096)
	end := size
	for end > 0 {
		n := min(int64(len(buf)), end)
		chunk := buf[:n]
		if _, err := f.ReadAt(chunk, end-n); err != nil {
			return 0, fmt.Errorf("aof: read at offset %d: %w", end-n, err)
		}
		for i := n - 1; i >= 0; i-- {
			if chunk[i] != 0 {
				return end - n + i + 1, nil
			}
		}
		end -= n
		if len(buf) < 1<<16 {
			buf = make([]byte, 1<<16)
		}
	}
	return 0, nil
}
