package aof

import (
	"bytes"
	"testing"
)

// A frame of zeros must not be valid: its header checksum must not be zero.
func TestZeroFrameInvalid(t *testing.T) {
	if _, reason := parseFrameHeader(make([]byte, frameHeaderSize)); reason == "" {
		t.Fatal("an all-zero frame header is valid")
	}
	if _, err := checkFileHeader(make([]byte, FileHeaderSize)); err == nil {
		t.Fatal("an all-zero file header is valid")
	}
}

func TestFrameRoundTrip(t *testing.T) {
	for _, rec := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("ab"), 1000)} {
		for _, end := range []bool{false, true} {
			b := appendFrame(nil, rec, end)
			if len(b) != frameHeaderSize+len(rec) {
				t.Fatalf("frame of %d bytes is %d long", len(rec), len(b))
			}
			fr, reason := parseFrameHeader(b)
			if reason != "" || fr.end != end || int(fr.length) != len(rec) || !checkPayload(b, fr, b[frameHeaderSize:]) {
				t.Fatalf("frame %q end=%v: %+v %q", rec, end, fr, reason)
			}
		}
	}
}

func TestExplainedByZeros(t *testing.T) {
	for _, tc := range []struct {
		size, zeroFrom, off, extent int64
		want                        bool
	}{
		{1000, 1000, 900, 950, false},   // no zeros at the end
		{1000, 900, 900, 912, true},     // the frame is all zeros
		{1000, 800, 900, 912, true},     // zeros start before the frame
		{1000, 950, 900, 1000, true},    // 50 zeros inside the frame's payload
		{1000, 995, 900, 1000, false},   // 5 zeros: could be a flipped last byte
		{1000, 990, 900, 950, false},    // zeros start after the damaged part
		{1002, 992, 990, 1002, true},    // zeros start inside the header, 10 long
		{1000, 999, 990, 1000, false},   // one zero byte
		{1000, 0, 16, 28, true},         // a file of zeros
		{1000, 993, 0, 1000, false},     // 7 zeros
		{1000, 992, 0, 1000, true},      // 8 zeros
		{1000, 512, 500, 1000, true},    // zeros from a sector boundary
		{2050, 2048, 2040, 2050, true},  // zeros from a sector boundary, 2 long
		{2050, 2047, 2040, 2050, false}, // 3 zeros, not on a boundary
	} {
		p := &problem{off: tc.off, extent: tc.extent}
		if got := explainedByZeros(tc.zeroFrom, tc.size, p); got != tc.want {
			t.Errorf("explainedByZeros(size %d, zeroFrom %d, frame %d..%d) = %v", tc.size, tc.zeroFrom, tc.off, tc.extent, got)
		}
	}
}
