package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWriteResponse(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	must(t, w.WriteResponse(StatusOK, []byte(`"pong"`)))
	must(t, w.WriteResponse(StatusOK, []byte(`[{"id":1},{"id":2}]`)))
	must(t, w.WriteResponse(StatusFailed, []byte(`"x"`)))
	if buf.Len() != 0 {
		t.Fatalf("wrote %q before Flush", buf.String())
	}
	if got := w.Buffered(); got == 0 {
		t.Fatal("Buffered() = 0 before Flush")
	}
	must(t, w.Flush())
	want := "[0,\"pong\"]\r\n[0,[{\"id\":1},{\"id\":2}]]\r\n[2,\"x\"]\r\n"
	if buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
}

func TestWriteResponseRejects(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WriteResponse(Status(3), []byte(`1`)); !errors.Is(err, ErrInvalidStatus) {
		t.Errorf("status 3: %v", err)
	}
	if err := w.WriteResponse(Status(-1), []byte(`1`)); !errors.Is(err, ErrInvalidStatus) {
		t.Errorf("status -1: %v", err)
	}
	if err := w.WriteError(Status(7), "x"); !errors.Is(err, ErrInvalidStatus) {
		t.Errorf("WriteError status 7: %v", err)
	}
	if err := w.WriteResponse(StatusOK, nil); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("empty value: %v", err)
	}
	if err := w.WriteResponse(StatusOK, []byte("[1,\n2]")); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("multi-line value: %v", err)
	}
	if err := w.WriteLine([]byte("a\nb")); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("multi-line WriteLine: %v", err)
	}
	must(t, w.Flush())
	if buf.Len() != 0 {
		t.Fatalf("rejected writes wrote %q", buf.String())
	}
}

func TestWriteLine(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriterSize(&buf, 16)
	must(t, w.WriteLine([]byte(`["ping"]`)))
	must(t, w.WriteLine(nil))
	must(t, w.Flush())
	if got, want := buf.String(), "[\"ping\"]\r\n\r\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestWriteErrorEscaping(t *testing.T) {
	msgs := []string{
		"Malformed JSON: unexpected end",
		`quote " backslash \ slash /`,
		"newline \n cr \r tab \t nul \x00 bell \x07 esc \x1b del \x7f",
		"unicode: héllo wörld ☃ 日本語 🎉",
		"line separators \u2028 \u2029",
		"invalid utf-8: \xff\xfe \xc3( end",
		"html <b>&amp;</b>",
		"",
	}
	for _, msg := range msgs {
		var buf bytes.Buffer
		w := NewWriter(&buf)
		must(t, w.WriteError(StatusRefused, msg))
		must(t, w.Flush())
		out := buf.Bytes()
		if !bytes.HasSuffix(out, []byte("\r\n")) || bytes.Count(out, []byte("\n")) != 1 {
			t.Errorf("%q: not one line: %q", msg, out)
			continue
		}
		if !utf8.Valid(out) {
			t.Errorf("%q: output is not valid UTF-8: %q", msg, out)
		}
		status, value, err := ParseResponse(out[:len(out)-2])
		if err != nil || status != StatusRefused {
			t.Errorf("%q: ParseResponse = %v, %v", msg, status, err)
			continue
		}
		var got string
		if err := json.Unmarshal(value, &got); err != nil {
			t.Errorf("%q: value %s does not decode: %v", msg, value, err)
			continue
		}
		want := strings.ToValidUTF8(msg, "\uFFFD")
		if !utf8.ValidString(msg) {
			// AppendJSONString replaces each invalid byte, as encoding/json does.
			want = replaceInvalidBytes(msg)
		}
		if got != want {
			t.Errorf("round trip: got %q, want %q", got, want)
		}
		// Same decoded text as encoding/json produces.
		ref, _ := json.Marshal(msg)
		var refStr string
		json.Unmarshal(ref, &refStr)
		if got != refStr {
			t.Errorf("differs from encoding/json: %q vs %q", got, refStr)
		}
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	// Where encoding/json does not escape HTML, the bytes are identical.
	for _, s := range []string{"plain", "a\"b\\c", "\x00\x01\x1f\n\r\t\b\f", "é☃🎉", "\u2028\u2029", "\xff"} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		want := strings.TrimSuffix(buf.String(), "\n")
		if got := string(AppendJSONString(nil, s)); got != want {
			t.Errorf("AppendJSONString(%q) = %s, encoding/json gives %s", s, got, want)
		}
	}
}

func TestWriterNoAllocs(t *testing.T) {
	w := NewWriter(discard{})
	value := []byte(`{"id":1,"name":"Bob"}`)
	w.WriteError(StatusRefused, "warm up")
	allocs := testing.AllocsPerRun(1000, func() {
		w.WriteResponse(StatusOK, value)
		w.WriteError(StatusRefused, "Malformed query: bad \"where\"")
		w.Flush()
	})
	if allocs != 0 {
		t.Fatalf("%v allocs per response, want 0", allocs)
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[Status]string{StatusOK: "ok", StatusRefused: "refused", StatusFailed: "failed", 9: "Status(9)"} {
		if got := s.String(); got != want {
			t.Errorf("Status(%d).String() = %q, want %q", int(s), got, want)
		}
	}
	if got := RequestTooLargeMessage(10); got != "Request too large: line exceeds 10 bytes" {
		t.Errorf("RequestTooLargeMessage = %q", got)
	}
}

// replaceInvalidBytes replaces each byte of invalid UTF-8 by U+FFFD.
func replaceInvalidBytes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
