package aof

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// The on-disk format; doc.go has the diagram.
const (
	// Version is the format version this package writes and reads.
	Version = 1

	// MaxRecordSize is the largest record Append accepts (256 MiB). A frame header that
	// claims more is corruption.
	MaxRecordSize = 256 << 20

	// FileHeaderSize is the size of the file header; an empty log is this long.
	FileHeaderSize = 16

	// FrameOverhead is the number of bytes the framing adds to each record.
	FrameOverhead = frameHeaderSize

	magic           = "FLEETAOF"
	frameHeaderSize = 12

	// flagPreallocated in the file header's flags: the log may hold bytes written ahead of
	// its end (zeros) and a crash may have left the last append's pages out of order (see
	// doc.go, "Preallocation"). Open sets it before writing ahead and Close clears it.
	flagPreallocated = 1
	knownFlags       = flagPreallocated

	lengthMask   = 1<<29 - 1 // bits 0..28 of the size word: the payload length
	flagEnd      = 1 << 31   // bit 31: last record of its batch
	flagReserved = 3 << 29   // bits 29..30: must be zero in version 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// fileHeader returns the header of a log file with the given flags.
func fileHeader(flags uint16) [FileHeaderSize]byte {
	var h [FileHeaderSize]byte
	copy(h[:8], magic)
	binary.LittleEndian.PutUint16(h[8:], Version)
	binary.LittleEndian.PutUint16(h[10:], flags)
	binary.LittleEndian.PutUint32(h[12:], crc32.Checksum(h[:12], castagnoli))
	return h
}

// checkFileHeader validates a complete file header and returns its flags. It returns a
// *CorruptError for a damaged header and an error wrapping ErrVersion for an intact header
// this build cannot read.
func checkFileHeader(h []byte) (uint16, error) {
	if string(h[:8]) != magic {
		return 0, &CorruptError{Offset: 0, Reason: "bad magic (not a fleetdb log file)"}
	}
	if crc32.Checksum(h[:12], castagnoli) != binary.LittleEndian.Uint32(h[12:]) {
		return 0, &CorruptError{Offset: 0, Reason: "file header checksum mismatch"}
	}
	if v := binary.LittleEndian.Uint16(h[8:]); v != Version {
		return 0, fmt.Errorf("%w: version %d (this build reads version %d)", ErrVersion, v, Version)
	}
	f := binary.LittleEndian.Uint16(h[10:])
	if f&^knownFlags != 0 {
		return 0, fmt.Errorf("%w: header flags %#x", ErrVersion, f)
	}
	return f, nil
}

// tornFileHeader reports whether a file shorter than a header holds what a crash while
// creating the log leaves behind: nothing, zeros, or a prefix of the header (with or without
// the preallocation flag).
func tornFileHeader(b []byte) bool {
	h, hp := fileHeader(0), fileHeader(flagPreallocated)
	return len(b) < FileHeaderSize && (bytes.Equal(b, h[:len(b)]) || bytes.Equal(b, hp[:len(b)]) || allZero(b))
}

// appendFrame appends the frame holding rec to b.
func appendFrame(b, rec []byte, end bool) []byte {
	n := len(b)
	b = append(b, make([]byte, frameHeaderSize)...)
	putFrameHeader(b[n:n+frameHeaderSize], rec, end)
	return append(b, rec...)
}

// putFrameHeader writes the header of the frame holding rec into h (frameHeaderSize bytes).
func putFrameHeader(h, rec []byte, end bool) {
	word := uint32(len(rec))
	if end {
		word |= flagEnd
	}
	binary.LittleEndian.PutUint32(h[0:], word)
	dcrc := crc32.Update(crc32.Checksum(h[0:4], castagnoli), castagnoli, rec)
	binary.LittleEndian.PutUint32(h[4:], maskCRC(dcrc))
	binary.LittleEndian.PutUint32(h[8:], crc32.Checksum(h[0:8], castagnoli))
}

// frame is a decoded frame header.
type frame struct {
	length uint32 // payload length
	end    bool   // last record of its batch
	dcrc   uint32 // masked CRC-32C of the size word and the payload
}

// parseFrameHeader decodes and checks a frame header. It returns a non-empty reason if the
// header is damaged.
func parseFrameHeader(h []byte) (frame, string) {
	if crc32.Checksum(h[0:8], castagnoli) != binary.LittleEndian.Uint32(h[8:]) {
		return frame{}, "frame header checksum mismatch"
	}
	word := binary.LittleEndian.Uint32(h[0:])
	if word&flagReserved != 0 {
		return frame{}, fmt.Sprintf("unknown frame flags %#x", word&flagReserved)
	}
	fr := frame{length: word & lengthMask, end: word&flagEnd != 0, dcrc: binary.LittleEndian.Uint32(h[4:])}
	if fr.length > MaxRecordSize {
		return frame{}, fmt.Sprintf("impossible record length %d", fr.length)
	}
	return fr, ""
}

// frameLength returns the payload length of a validated frame header.
func frameLength(h []byte) uint32 { return binary.LittleEndian.Uint32(h) & lengthMask }

// checkPayload reports whether payload matches the frame's checksum; h is the frame header.
func checkPayload(h []byte, fr frame, payload []byte) bool {
	return maskCRC(crc32.Update(crc32.Checksum(h[0:4], castagnoli), castagnoli, payload)) == fr.dcrc
}

// maskCRC transforms the data checksum before it is stored inside the frame header, which has
// its own checksum (LevelDB's mask). Without it the header checksum of every empty record
// would be the same constant: the CRC of a string followed by its own CRC is fixed.
func maskCRC(c uint32) uint32 { return (c>>15 | c<<17) + 0xa282ead8 }

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
