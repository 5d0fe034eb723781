package protocol

import (
	"errors"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// readAll reads r to io.EOF and returns the lines, with "<too large>" for
// each *TooLargeError.
func readAll(t testing.TB, r *Reader) []string {
	t.Helper()
	var out []string
	for {
		line, err := r.ReadLine()
		switch {
		case err == io.EOF:
			return out
		case err != nil:
			var tl *TooLargeError
			if !errors.As(err, &tl) || !errors.Is(err, ErrTooLarge) {
				t.Fatalf("ReadLine: %v", err)
			}
			if tl.Limit != r.MaxLineBytes() {
				t.Fatalf("TooLargeError.Limit = %d, want %d", tl.Limit, r.MaxLineBytes())
			}
			out = append(out, "<too large>")
		default:
			if line == nil {
				t.Fatalf("ReadLine returned a nil line without error")
			}
			out = append(out, string(line))
		}
	}
}

func TestReadLineTerminators(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"crlf", "a\r\nbb\r\n", []string{"a", "bb"}},
		{"lf", "a\nbb\n", []string{"a", "bb"}},
		{"mixed", "a\r\nbb\nccc\r\n", []string{"a", "bb", "ccc"}},
		{"final line without newline", "a\nbb", []string{"a", "bb"}},
		{"final line keeps its cr", "a\nbb\r", []string{"a", "bb\r"}},
		{"empty lines", "\n\r\na\n\n", []string{"", "", "a", ""}},
		{"lone cr inside", "a\rb\r\n", []string{"a\rb"}},
		{"cr cr lf", "a\r\r\n", []string{"a\r"}},
		{"empty input", "", nil},
		{"only newline", "\n", []string{""}},
	}
	for _, tt := range tests {
		for _, bufSize := range []int{16, 4096} {
			for _, oneByte := range []bool{false, true} {
				var src io.Reader = strings.NewReader(tt.in)
				if oneByte {
					src = iotest.OneByteReader(src)
				}
				r := NewReader(src, ReaderOptions{BufferSize: bufSize, MaxLineBytes: 100})
				got := readAll(t, r)
				if !equalLines(got, tt.want) {
					t.Errorf("%s (buf %d, oneByte %v): got %q, want %q", tt.name, bufSize, oneByte, got, tt.want)
				}
			}
		}
	}
}

func TestReadLineLimitBoundary(t *testing.T) {
	const limit = 40
	for _, bufSize := range []int{16, 32, 41, 42, 64, 4096} {
		for _, n := range []int{limit - 1, limit, limit + 1, limit + 2} {
			line := strings.Repeat("x", n)
			want := line
			if n > limit {
				want = "<too large>"
			}
			for _, term := range []string{"\r\n", "\n", ""} {
				in := line + term + "next\n"
				if term == "" {
					in = line // final line at EOF
				}
				r := NewReader(strings.NewReader(in), ReaderOptions{BufferSize: bufSize, MaxLineBytes: limit})
				got := readAll(t, r)
				wantLines := []string{want, "next"}
				if term == "" {
					wantLines = []string{want}
				}
				if !equalLines(got, wantLines) {
					t.Errorf("buf %d, len %d, term %q: got %q, want %q", bufSize, n, term, got, wantLines)
				}
			}
		}
	}
}

func TestReadLineNoLimit(t *testing.T) {
	long := strings.Repeat("n", 1000)
	r := NewReader(strings.NewReader(long+"\r\nx"), ReaderOptions{BufferSize: 16, MaxLineBytes: math.MaxInt})
	if got := readAll(t, r); !equalLines(got, []string{long, "x"}) {
		t.Fatalf("with MaxLineBytes = MaxInt: %d lines", len(got))
	}
}

func TestReadLineTooLargeThenNext(t *testing.T) {
	long := strings.Repeat("y", 10000)
	in := "first\r\n" + long + "\r\nsecond\r\n" + long + "\nthird"
	r := NewReader(strings.NewReader(in), ReaderOptions{BufferSize: 64, MaxLineBytes: 1000})
	got := readAll(t, r)
	want := []string{"first", "<too large>", "second", "<too large>", "third"}
	if !equalLines(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// repeatReader yields n bytes of c, then tail.
type repeatReader struct {
	c    byte
	n    int64
	tail *strings.Reader
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return r.tail.Read(p)
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	for i := range p {
		p[i] = r.c
	}
	r.n -= int64(len(p))
	return len(p), nil
}

func TestReadLineHugeLineBoundedMemory(t *testing.T) {
	const huge = 100 << 20
	const limit = 1 << 20
	src := &repeatReader{c: 'z', n: huge, tail: strings.NewReader("\r\nnext line\r\n")}
	r := NewReader(src, ReaderOptions{MaxLineBytes: limit})

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := r.ReadLine()
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("ReadLine of a %d-byte line: err = %v, want ErrTooLarge", huge, err)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("reading a %d MiB line with a %d MiB limit allocated %d KiB", huge>>20, limit>>20, allocated>>10)
	if allocated > 4*limit {
		t.Fatalf("allocated %d bytes, want at most %d (the line must be skipped, not buffered)", allocated, 4*limit)
	}
	line, err := r.ReadLine()
	if err != nil || string(line) != "next line" {
		t.Fatalf("line after the huge one = %q, %v; want \"next line\"", line, err)
	}
	if _, err := r.ReadLine(); err != io.EOF {
		t.Fatalf("at end: err = %v, want io.EOF", err)
	}
}

func TestReadLineNoAllocs(t *testing.T) {
	short := strings.Repeat("s", 100) + "\r\n"
	long := strings.Repeat("l", 300) + "\r\n" // longer than the 64-byte buffer
	for _, tc := range []struct {
		name string
		line string
	}{{"short", short}, {"long", long}} {
		src := &cycleReader{data: []byte(strings.Repeat(tc.line, 50))}
		r := NewReader(src, ReaderOptions{BufferSize: 64, MaxLineBytes: 1000})
		r.ReadLine() // warm up the line buffer
		allocs := testing.AllocsPerRun(1000, func() {
			if _, err := r.ReadLine(); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s lines: %v allocs per ReadLine, want 0", tc.name, allocs)
		}
	}
}

func TestReadLineDropsHugeBuffer(t *testing.T) {
	big := strings.Repeat("b", 2*retainLineBytes)
	r := NewReader(strings.NewReader(big+"\nsmall\n"), ReaderOptions{BufferSize: 64, MaxLineBytes: 4 * retainLineBytes})
	if line, err := r.ReadLine(); err != nil || len(line) != len(big) {
		t.Fatalf("big line: len %d, err %v", len(line), err)
	}
	if line, err := r.ReadLine(); err != nil || string(line) != "small" {
		t.Fatalf("small line: %q, %v", line, err)
	}
	if cap(r.line) > retainLineBytes {
		t.Fatalf("line buffer of %d bytes retained after a small line", cap(r.line))
	}
}

func TestReadLineError(t *testing.T) {
	boom := errors.New("boom")
	src := io.MultiReader(strings.NewReader("ok\npartial"), iotest.ErrReader(boom))
	r := NewReader(src, ReaderOptions{})
	if line, err := r.ReadLine(); err != nil || string(line) != "ok" {
		t.Fatalf("first line: %q, %v", line, err)
	}
	if _, err := r.ReadLine(); !errors.Is(err, boom) {
		t.Fatalf("partial line then error: err = %v, want boom", err)
	}
}

func TestReaderBufferedAndReset(t *testing.T) {
	r := NewReader(strings.NewReader("a\nb\n"), ReaderOptions{})
	r.ReadLine()
	if got := r.Buffered(); got != 2 {
		t.Fatalf("Buffered after first line = %d, want 2", got)
	}
	r.ReadLine()
	if got := r.Buffered(); got != 0 {
		t.Fatalf("Buffered after last line = %d, want 0", got)
	}
	r.Reset(strings.NewReader("c\n"))
	if got := readAll(t, r); !equalLines(got, []string{"c"}) {
		t.Fatalf("after Reset: %q", got)
	}
}

func TestReaderOptionsValidate(t *testing.T) {
	if err := (ReaderOptions{}).Validate(); err != nil {
		t.Fatalf("zero options: %v", err)
	}
	if err := (ReaderOptions{BufferSize: -1}).Validate(); err == nil {
		t.Fatal("negative BufferSize accepted")
	}
	if err := (ReaderOptions{MaxLineBytes: -1}).Validate(); err == nil {
		t.Fatal("negative MaxLineBytes accepted")
	}
	if got := NewReader(nil, ReaderOptions{}).MaxLineBytes(); got != DefaultMaxLineBytes {
		t.Fatalf("default MaxLineBytes = %d", got)
	}
}

// cycleReader returns data over and over, forever.
type cycleReader struct {
	data []byte
	off  int
}

func (c *cycleReader) Read(p []byte) (int, error) {
	n := copy(p, c.data[c.off:])
	c.off = (c.off + n) % len(c.data)
	return n, nil
}

func equalLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
