package server

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb"
	"github.com/fleetdb-go/fleetdb/protocol"
)

// expectedAnswers counts the answers a stream of request bytes gets: one per
// line that is too long or not blank.
func expectedAnswers(stream []byte, max int) int {
	lines := bytes.Split(stream, []byte("\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1] // after the final "\n"
	}
	n := 0
	for _, l := range lines {
		l = bytes.TrimSuffix(l, []byte("\r"))
		if len(l) > max || !blank(l) {
			n++
		}
	}
	return n
}

// FuzzServerLine feeds arbitrary bytes to a connection of a server over
// net.Pipe, followed by a final ["ping"]: the server must not panic, must
// answer every non-blank line (and every too-long one) exactly once with a
// valid response line, in order, and keep the connection.
func FuzzServerLine(f *testing.F) {
	for _, seed := range []string{
		`["ping"]`,
		"[\"ping\"]\r\n[\"ping\"]\n\n  \r\n",
		`["insert","f",[{"id":1},{"id":2}]]` + "\n" + `["select","f",{"where":["=","id",1]}]`,
		`["auth","pw"]`,
		`["\u0061uth","pw"]`,
		"\r\r\n\r",
		`["select","f",{"order":["id","desc"],"limit":1,"only":"id"}]`,
		strings.Repeat("x", 300) + "\n" + `["count","f"]`,
		"\x00\xff\n\"\u2028\"",
		`["multi-write",[["insert","g",{"id":1}],["delete","g"]]]`,
	} {
		f.Add([]byte(seed))
	}
	const max = 256
	db, err := fleetdb.Open(fleetdb.Options{})
	if err != nil {
		f.Fatal(err)
	}
	s, err := New(db, Config{MaxRequestBytes: max})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			f.Error(err)
		}
		db.Close()
	})
	f.Fuzz(func(t *testing.T, input []byte) {
		stream := append(append(bytes.Clone(input), '\n'), `["ping"]`+"\n"...)
		want := expectedAnswers(stream, max)
		cli, srv := net.Pipe()
		defer cli.Close()
		s.accept(srv)
		wrote := make(chan error, 1)
		go func() {
			_, err := cli.Write(stream)
			wrote <- err
		}()
		cli.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(cli)
		var last string
		for i := range want {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("answer %d of %d: %v", i+1, want, err)
			}
			if !strings.HasSuffix(line, "\r\n") {
				t.Fatalf("answer %q does not end with CRLF", line)
			}
			last = strings.TrimSuffix(line, "\r\n")
			if _, _, err := protocol.ParseResponse([]byte(last)); err != nil {
				t.Fatalf("answer %d: %v", i+1, err)
			}
		}
		if last != `[0,"pong"]` {
			t.Fatalf("the last answer is %s, want the final ping's (answers out of step)", last)
		}
		if err := <-wrote; err != nil {
			t.Fatalf("write: %v", err)
		}
		// Nothing more comes.
		cli.SetReadDeadline(time.Now().Add(5 * time.Millisecond))
		if extra, err := br.ReadString('\n'); err == nil {
			t.Fatalf("extra answer %q", extra)
		}
	})
}
