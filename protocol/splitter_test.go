package protocol_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/protocol"
)

// event is one outcome of reading a line: the line, or a too-large report.
type event struct {
	line     string
	tooLarge bool
}

// readerEvents reads all of input with a Reader.
func readerEvents(t testing.TB, input []byte, max int) []event {
	r := protocol.NewReader(bytes.NewReader(input), protocol.ReaderOptions{BufferSize: 16, MaxLineBytes: max})
	var evs []event
	for {
		line, err := r.ReadLine()
		switch {
		case err == io.EOF:
			return evs
		case errors.Is(err, protocol.ErrTooLarge):
			evs = append(evs, event{tooLarge: true})
		case err != nil:
			t.Fatal(err)
		default:
			evs = append(evs, event{line: string(line)})
		}
	}
}

// splitterEvents feeds input to a Splitter in chunks of random sizes, as an
// event loop receives it, keeping the unconsumed bytes between chunks.
func splitterEvents(input []byte, max int, rng *rand.Rand) []event {
	s := protocol.NewSplitter(max)
	var evs []event
	var pending []byte
	for len(input) > 0 {
		k := 1 + rng.Intn(min(len(input), 40))
		pending = append(pending, input[:k]...)
		input = input[k:]
		for {
			line, n, tooLarge, ok := s.Next(pending)
			if ok {
				evs = append(evs, event{line: string(line), tooLarge: tooLarge})
			}
			pending = pending[n:]
			if !ok {
				break
			}
		}
	}
	if line, tooLarge, ok := s.Final(pending); ok {
		evs = append(evs, event{line: string(line), tooLarge: tooLarge})
	}
	return evs
}

// TestSplitterMatchesReader: on random streams of short and long lines, CR
// and LF in odd places and unterminated ends, a Splitter fed in random
// chunks returns exactly what a Reader returns.
func TestSplitterMatchesReader(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	alphabet := []string{"a", "b", "\r", "\n", "\r\n", `["ping"]`, strings.Repeat("x", 9)}
	for i := range 3000 {
		var b strings.Builder
		for range rng.Intn(30) {
			b.WriteString(alphabet[rng.Intn(len(alphabet))])
		}
		input := []byte(b.String())
		max := 1 + rng.Intn(12)
		want := readerEvents(t, input, max)
		got := splitterEvents(input, max, rng)
		if len(want) != len(got) {
			t.Fatalf("case %d %q max %d: reader %v, splitter %v", i, input, max, want, got)
		}
		for j := range want {
			if want[j] != got[j] {
				t.Fatalf("case %d %q max %d: event %d: reader %v, splitter %v", i, input, max, j, want[j], got[j])
			}
		}
	}
}

func TestSplitterExamples(t *testing.T) {
	s := protocol.NewSplitter(4)
	line, n, tooLarge, ok := s.Next([]byte("ab\r\ncd"))
	if string(line) != "ab" || n != 4 || tooLarge || !ok {
		t.Fatalf("got %q %d %v %v", line, n, tooLarge, ok)
	}
	if _, n, _, ok := s.Next([]byte("cd")); n != 0 || ok {
		t.Fatalf("incomplete line: n %d ok %v", n, ok)
	}
	// Six bytes without a terminator cannot be a line of at most 4 (plus a
	// '\r'): they are consumed, and the line is reported when it ends.
	if _, n, _, ok := s.Next([]byte("123456")); n != 6 || ok || !s.InLine() {
		t.Fatalf("too long: n %d ok %v", n, ok)
	}
	if _, n, tooLarge, ok := s.Next([]byte("7\nok\n")); n != 2 || !tooLarge || !ok {
		t.Fatalf("end of a too-large line: n %d %v %v", n, tooLarge, ok)
	}
	if line, _, _, _ := s.Next([]byte("ok\n")); string(line) != "ok" {
		t.Fatalf("after: %q", line)
	}
	if line, tooLarge, ok := s.Final([]byte("end\r")); string(line) != "end\r" || tooLarge || !ok {
		t.Fatalf("final: %q %v %v", line, tooLarge, ok)
	}
}

func TestAppendResponse(t *testing.T) {
	got, err := protocol.AppendResponse([]byte("x"), protocol.StatusOK, []byte(`"pong"`))
	if err != nil || string(got) != "x[0,\"pong\"]\r\n" {
		t.Fatalf("%q %v", got, err)
	}
	for _, v := range []string{"", "1\n2"} {
		if got, err := protocol.AppendResponse([]byte("x"), protocol.StatusOK, []byte(v)); !errors.Is(err, protocol.ErrInvalidValue) || string(got) != "x" {
			t.Errorf("%q: %q %v", v, got, err)
		}
	}
	if _, err := protocol.AppendResponse(nil, 3, []byte("1")); !errors.Is(err, protocol.ErrInvalidStatus) {
		t.Error(err)
	}
	got, err = protocol.AppendError(nil, protocol.StatusRefused, "bad \"q\"\n")
	if err != nil || string(got) != "[1,\"bad \\\"q\\\"\\n\"]\r\n" {
		t.Fatalf("%q %v", got, err)
	}
}
