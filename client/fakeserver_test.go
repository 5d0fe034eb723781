package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/protocol"
)

// fakeServer is a FleetDB stand-in on a loopback listener, built on package
// protocol, that answers canned queries:
//
//	["ping"]            → [0,"pong"]
//	["echo", v]         → [0,v]
//	["refuse", msg]     → [1,msg]
//	["fail", msg]       → [2,msg]
//	["sleep", ms]       → [0,"slept"] after ms milliseconds
//	["big", n]          → [0,"xxx…"] with n x's
//	["half"]            → half a response line, then the connection closes
//	["drop"]            → the connection closes without an answer
//	["garbage"]         → a line that is not a response
//	["auth", pw]        → as SPEC.md §3, against the server's password
//
// Anything else goes to the handler, if set, or is echoed back whole. Each
// connection is served by one goroutine, reading and answering in order and
// flushing when its input is drained, as the real server does.
type fakeServer struct {
	t        testing.TB
	ln       net.Listener
	password string
	// handler, if set, answers the queries the canned set does not know.
	handler func(q []json.RawMessage) (protocol.Status, string)
	// sockBuf, if positive, sets the kernel buffers of accepted
	// connections, so that tests can fill them with little data.
	sockBuf int
	// sleeping, if set, gets a value (without blocking) when a "sleep"
	// query arrives, so that a test can act while the query is in flight.
	sleeping chan struct{}

	accepted atomic.Int64 // connections accepted
	done     chan struct{}
	wg       sync.WaitGroup

	// mu guards conns.
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// newFakeServer starts a fake server; setup, if any, runs before it accepts
// connections (to set handler or sockBuf).
func newFakeServer(t testing.TB, password string, setup ...func(*fakeServer)) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{t: t, ln: ln, password: password, done: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	for _, f := range setup {
		f(s)
	}
	s.wg.Go(s.accept)
	t.Cleanup(s.Close)
	return s
}

func (s *fakeServer) Addr() string { return s.ln.Addr().String() }

// Close stops the server, closes its connections and waits for its
// goroutines.
func (s *fakeServer) Close() {
	select {
	case <-s.done:
		return
	default:
	}
	close(s.done)
	s.ln.Close()
	s.mu.Lock()
	for nc := range s.conns {
		nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// closeConns closes every open connection but keeps listening.
func (s *fakeServer) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for nc := range s.conns {
		nc.Close()
	}
}

func (s *fakeServer) accept() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.accepted.Add(1)
		if tc, ok := nc.(*net.TCPConn); ok && s.sockBuf > 0 {
			tc.SetReadBuffer(s.sockBuf)
			tc.SetWriteBuffer(s.sockBuf)
		}
		s.mu.Lock()
		s.conns[nc] = struct{}{}
		s.mu.Unlock()
		s.wg.Go(func() {
			s.serve(nc)
			s.mu.Lock()
			delete(s.conns, nc)
			s.mu.Unlock()
			nc.Close()
		})
	}
}

func (s *fakeServer) serve(nc net.Conn) {
	r := protocol.NewReader(nc, protocol.ReaderOptions{})
	w := protocol.NewWriter(nc)
	authed := s.password == ""
	for {
		line, err := r.ReadLine()
		switch {
		case errors.Is(err, protocol.ErrTooLarge):
			w.WriteError(protocol.StatusRefused, protocol.RequestTooLargeMessage(r.MaxLineBytes()))
		case err != nil:
			return
		case len(bytes.TrimSpace(line)) == 0:
			continue
		default:
			if !s.answer(nc, w, line, &authed) {
				w.Flush()
				return
			}
		}
		if r.Buffered() == 0 {
			if w.Flush() != nil {
				return
			}
		}
	}
}

var pong = []byte(`"pong"`)

// answer writes the answer to one query; false means close the connection.
func (s *fakeServer) answer(nc net.Conn, w *protocol.Writer, line []byte, authed *bool) bool {
	if *authed && string(line) == `["ping"]` {
		// Allocation-free, so that benchmarks count the client's allocations.
		w.WriteResponse(protocol.StatusOK, pong)
		return true
	}
	var q []json.RawMessage
	var op string
	if err := json.Unmarshal(line, &q); err != nil || len(q) == 0 || json.Unmarshal(q[0], &op) != nil {
		w.WriteError(protocol.StatusRefused, protocol.PrefixMalformedJSON+string(line))
		return true
	}
	arg := func(i int) string {
		var v string
		if len(q) > i && json.Unmarshal(q[i], &v) != nil {
			v = string(q[i])
		}
		return v
	}
	if op == "auth" {
		switch {
		case s.password == "" || *authed:
			w.WriteError(protocol.StatusOK, protocol.AuthUnneeded)
		case arg(1) == s.password:
			*authed = true
			w.WriteError(protocol.StatusOK, protocol.AuthAccepted)
		default:
			w.WriteError(protocol.StatusRefused, protocol.MsgAuthRejected)
			return false
		}
		return true
	}
	if !*authed {
		w.WriteError(protocol.StatusRefused, protocol.MsgAuthNeeded)
		return false
	}
	switch op {
	case "ping":
		w.WriteResponse(protocol.StatusOK, []byte(`"pong"`))
	case "echo":
		w.WriteResponse(protocol.StatusOK, q[1])
	case "refuse":
		w.WriteError(protocol.StatusRefused, arg(1))
	case "fail":
		w.WriteError(protocol.StatusFailed, arg(1))
	case "sleep":
		ms, _ := strconv.Atoi(arg(1))
		w.Flush()
		if s.sleeping != nil {
			select {
			case s.sleeping <- struct{}{}:
			default:
			}
		}
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-s.done:
			return false
		}
		w.WriteResponse(protocol.StatusOK, []byte(`"slept"`))
	case "big":
		n, _ := strconv.Atoi(arg(1))
		w.WriteResponse(protocol.StatusOK, []byte(`"`+strings.Repeat("x", n)+`"`))
	case "half":
		w.Flush()
		nc.Write([]byte(`[0,"this answer is cut`))
		return false
	case "drop":
		return false
	case "garbage":
		w.WriteLine([]byte(`this is not a response`))
	default:
		if s.handler != nil {
			status, value := s.handler(q)
			w.WriteResponse(status, []byte(value))
		} else {
			w.WriteResponse(protocol.StatusOK, line)
		}
	}
	return true
}
