package jsontext

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReaderSplitsValues reads the elements of arrays through buffers of
// every small size, one byte per read, so that values straddle refills.
func TestReaderSplitsValues(t *testing.T) {
	elems := []string{
		`{"id":1,"s":"a]b}c","n":[1,[2,{"x":"\"]"}]]}`,
		`"plain"`, `"esc \\\" \\\\"`, `-12.5e+3`, `true`, `null`, `[]`, `{}`,
		`{"k":"\u00e9\\u0041","deep":[[[[["]"]]]]]}`,
	}
	input := "  [ " + strings.Join(elems, " ,\r\n ") + " ] [0,\"tail\"]"
	for size := 1; size <= 16; size++ {
		sc := NewReader(iotest.OneByteReader(strings.NewReader(input)), size)
		if err := sc.Expect('['); err != nil {
			t.Fatal(err)
		}
		first := true
		var got []string
		for {
			more, err := sc.Next(&first)
			if err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
			if !more {
				break
			}
			v, err := sc.Value(nil)
			if err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
			got = append(got, string(v))
		}
		if strings.Join(got, "|") != strings.Join(elems, "|") {
			t.Fatalf("size %d:\n got %q\nwant %q", size, got, elems)
		}
		// Skip walks a value without keeping it; the stream goes on after.
		if err := sc.Expect('['); err != nil {
			t.Fatal(err)
		}
		if err := sc.Skip(); err != nil {
			t.Fatal(err)
		}
		if err := sc.Expect(','); err != nil {
			t.Fatal(err)
		}
		if v, err := sc.Value(nil); err != nil || string(v) != `"tail"` {
			t.Fatalf("size %d: after skip: %s %v", size, v, err)
		}
		if err := sc.Expect(']'); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.Peek(); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("size %d: at the end: %v", size, err)
		}
	}
	// A skipped array of any size is not kept.
	big := "[" + strings.Repeat(`{"id":1,"pad":"xxxxxxxxxxxxxxxxxxxx"},`, 10000) + "{}]"
	sc := NewReader(strings.NewReader(big), 64)
	if err := sc.Skip(); err != nil {
		t.Fatal(err)
	}
	if sc.Buffered() > 1024 {
		t.Fatalf("skipping grew the buffer to %d bytes", sc.Buffered())
	}
}

// TestReaderLine reads lines, CRLF or LF, across refills, after values.
func TestReaderLine(t *testing.T) {
	input := "[0,\"a\"]\r\n[1,\"bb\"]\n" + strings.Repeat("x", 100) + "\r\n[2, 3]\r\nend"
	for size := 1; size <= 8; size++ {
		r := NewReader(iotest.OneByteReader(strings.NewReader(input)), size)
		var got []string
		for {
			line, err := r.Line(nil)
			if err != nil {
				if !errors.Is(err, io.ErrUnexpectedEOF) || string(line) != "end" {
					t.Fatalf("size %d: %q, %v at the end", size, line, err)
				}
				break
			}
			got = append(got, string(line))
			if len(got) == 3 {
				// A value, then the rest of its line.
				if err := r.Expect('['); err != nil {
					t.Fatal(err)
				}
				if v, err := r.Value(nil); err != nil || string(v) != "2" {
					t.Fatalf("size %d: %q %v", size, v, err)
				}
			}
		}
		want := []string{`[0,"a"]`, `[1,"bb"]`, strings.Repeat("x", 100), `, 3]`}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("size %d: %q", size, got)
		}
	}
}
