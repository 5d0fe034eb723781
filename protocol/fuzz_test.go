package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// FuzzReader feeds arbitrary bytes to a Reader with an arbitrary limit and
// buffer size, and checks the lines against a plain split of the input: lines
// end at '\n' (a '\r' before it is dropped), the bytes after the last '\n'
// are a final line if not empty, and a *TooLargeError stands exactly for each
// line longer than the limit.
func FuzzReader(f *testing.F) {
	f.Add([]byte("[\"ping\"]\r\n[\"info\"]\n"), uint16(100), uint8(0), false)
	f.Add([]byte("abc\r\ndefghijkl\r\n\r\n\nlast"), uint16(3), uint8(0), true)
	f.Add([]byte("0123456789012345678901234567890123456789\r\nx\r"), uint16(20), uint8(3), false)
	f.Add([]byte("\r\r\n\n\r"), uint16(1), uint8(1), false)
	f.Fuzz(func(t *testing.T, in []byte, limit uint16, bufSize uint8, oneByte bool) {
		max := 1 + int(limit)%512
		var src io.Reader = bytes.NewReader(in)
		if oneByte {
			src = iotest.OneByteReader(src)
		}
		r := NewReader(src, ReaderOptions{BufferSize: 16 + int(bufSize)%64, MaxLineBytes: max})

		want := bytes.Split(in, []byte("\n"))
		last := want[len(want)-1]
		want = want[:len(want)-1]
		for i, l := range want {
			want[i] = bytes.TrimSuffix(l, []byte("\r"))
		}
		if len(last) > 0 {
			want = append(want, last)
		}

		for i, w := range want {
			line, err := r.ReadLine()
			if len(w) > max {
				if !errors.Is(err, ErrTooLarge) {
					t.Fatalf("line %d (%d bytes > limit %d): got %q, %v; want ErrTooLarge", i, len(w), max, line, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("line %d (%d bytes, limit %d): %v", i, len(w), max, err)
			}
			if bytes.IndexByte(line, '\n') >= 0 {
				t.Fatalf("line %d contains a line feed: %q", i, line)
			}
			if !bytes.Equal(line, w) {
				t.Fatalf("line %d = %q, want %q", i, line, w)
			}
		}
		for range 2 {
			if line, err := r.ReadLine(); err != io.EOF {
				t.Fatalf("after %d lines: got %q, %v; want io.EOF", len(want), line, err)
			}
		}
	})
}

// FuzzParseResponse checks ParseResponse against encoding/json: it accepts
// exactly the two-element arrays whose first element is written 0, 1 or 2,
// and returns the second element unchanged.
func FuzzParseResponse(f *testing.F) {
	for _, s := range []string{`[0,"pong"]`, `[1,"x"]`, ` [2 , {"a":[1]} ] `, `[0,1,2]`, `[3,1]`, `[0.0,1]`, `[0,"]"]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		status, value, err := ParseResponse(line)
		var elems []json.RawMessage
		refOK := json.Unmarshal(line, &elems) == nil && len(elems) == 2
		if refOK {
			s := string(elems[0])
			refOK = s == "0" || s == "1" || s == "2"
		}
		if !refOK {
			if err == nil {
				t.Fatalf("ParseResponse(%q) accepted: %v, %s", line, status, value)
			}
			return
		}
		if err != nil {
			t.Fatalf("ParseResponse(%q): %v", line, err)
		}
		if int(status) != int(elems[0][0]-'0') || !bytes.Equal(value, elems[1]) {
			t.Fatalf("ParseResponse(%q) = %v, %s; encoding/json says %s, %s", line, status, value, elems[0], elems[1])
		}
	})
}
