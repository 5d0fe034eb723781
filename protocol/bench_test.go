package protocol

import (
	"strings"
	"testing"
)

// BenchmarkReadLine reads 100-byte lines (plus "\r\n") from an endless
// in-memory stream.
func BenchmarkReadLine(b *testing.B) {
	line := `["select","people",{"where":["=","name","Bob"],"order":["age","asc"],"limit":10,"offset":25}]` // 93 bytes
	line += strings.Repeat(" ", 100-len(line)) + "\r\n"
	r := NewReader(&cycleReader{data: []byte(strings.Repeat(line, 1000))}, ReaderOptions{})
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		l, err := r.ReadLine()
		if err != nil || len(l) != 100 {
			b.Fatalf("ReadLine = %d bytes, %v", len(l), err)
		}
	}
}

// BenchmarkWriteResponse writes a 100-byte value, flushing every 64
// responses as a pipelining server would.
func BenchmarkWriteResponse(b *testing.B) {
	value := []byte(`[{"id":1,"name":"Bob","age":42,"city":"Paris"},{"id":2,"name":"Alice","age":37,"city":"Lyon"}]`)
	w := NewWriter(discard{})
	b.SetBytes(int64(len(value) + 5))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if err := w.WriteResponse(StatusOK, value); err != nil {
			b.Fatal(err)
		}
		if n++; n%64 == 0 {
			w.Flush()
		}
	}
	w.Flush()
}

// BenchmarkWriteError writes an error message that needs escaping.
func BenchmarkWriteError(b *testing.B) {
	msg := `Malformed query: unknown option "lmit" in find options; did you mean "limit"?`
	w := NewWriter(discard{})
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteError(StatusRefused, msg); err != nil {
			b.Fatal(err)
		}
	}
	w.Flush()
}

// BenchmarkParseResponse parses a 100-byte response line.
func BenchmarkParseResponse(b *testing.B) {
	line := []byte(`[0,[{"id":1,"name":"Bob","age":42,"city":"Paris"},{"id":2,"name":"Alice","age":37,"city":"Lyon"}]]`)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseResponse(line); err != nil {
			b.Fatal(err)
		}
	}
}
