package server

import (
	"bytes"
	"context"
	"errors"
	"net"
	"time"

	"github.com/fleetdb-go/fleetdb/protocol"
	"github.com/fleetdb-go/fleetdb/query"
)

// session is the protocol state of one connection, shared by both ways of
// serving it (a goroutine per connection, or an event loop): what the server
// answers by itself (auth, set-read-consistency, shutting down, too large),
// how a query's outcome becomes an answer, and the answers not yet sent.
// Answers are appended to out; the owner of the connection sends them.
type session struct {
	srv    *Server
	remote net.Addr
	// ctx is the connection's context; kill cancels it.
	ctx    context.Context
	cancel context.CancelFunc
	// qctx is given to every query of the connection: ctx, or ctx with the
	// read consistency the connection set with ["set-read-consistency",
	// level] (built once per setting, so a query costs no allocation).
	qctx context.Context
	// authed is false until a connection to a server with a password has
	// sent the right ["auth", password].
	authed bool
	// out holds the answers not yet handed to the network.
	out []byte
}

func (se *session) init(s *Server, remote net.Addr) {
	se.srv, se.remote, se.authed = s, remote, !s.hasPassword
	se.ctx, se.cancel = context.WithCancel(context.Background())
	se.qctx = se.ctx
}

// action is what prepare leaves to its caller.
type action uint8

const (
	// actAnswered: the server answered by itself.
	actAnswered action = iota
	// actClose: answered; the connection must now be closed (failed
	// authentication).
	actClose
	// actQuery: the line is a query for the Executor.
	actQuery
)

// prepare handles a request line up to the Executor: it answers what the
// server answers by itself and returns actQuery for a query to run, with
// the query's name index (for metrics).
func (se *session) prepare(line []byte) (name int, act action) {
	s := se.srv
	name = queryIndex(line)
	switch {
	case s.shutting.Load():
		se.answer(name, protocol.StatusFailed, protocol.MsgShuttingDown)
		return name, actAnswered
	case !se.authed:
		if se.authenticate(line, name) {
			return name, actClose
		}
		return name, actAnswered
	case name == nameAuth:
		// No password, or already authenticated.
		if _, err := parseAuth(line); err != nil {
			se.answer(name, statusOf(err), err.Error())
		} else {
			se.answer(name, protocol.StatusOK, protocol.AuthUnneeded)
		}
		return name, actAnswered
	case name == nameSetReadConsistency:
		se.setReadConsistency(line)
		return name, actAnswered
	}
	return name, actQuery
}

// inlineCandidate reports whether a query of this name may be run by
// InlineExecutor.AppendQuery: the names of writes are known to wait for the
// single writer, so they go straight to Query. Unknown names ("other",
// "call") are offered: the Executor decides.
func inlineCandidate(name int) bool { return !nameWrites[name] || name == nameCall }

// runInline runs a query through the Executor's AppendQuery when it has one
// and the query does not wait, appending the answer. It reports false,
// having changed nothing, when the query must go to Query instead.
func (se *session) runInline(name int, line []byte) bool {
	s := se.srv
	if s.inline == nil || !inlineCandidate(name) {
		return false
	}
	var start time.Time
	if s.m != nil {
		start = time.Now()
	}
	mark := len(se.out)
	out, ran, err := s.inline.AppendQuery(se.qctx, append(se.out, "[0,"...), line)
	if !ran {
		se.out = se.out[:mark]
		return false
	}
	if s.m != nil {
		s.m.latency[name].Observe(time.Since(start).Seconds())
	}
	value := out[mark+3:]
	se.out = out[:mark]
	switch {
	case err != nil:
		se.answer(name, statusOf(err), err.Error())
	case len(value) == 0 || bytes.IndexByte(value, '\n') >= 0:
		se.invalidResult(name, len(value))
	default:
		se.out = append(out, "]\r\n"...)
		s.m.answered(name, protocol.StatusOK)
	}
	return true
}

// finish appends the answer of a query that Query ran, begun at start (zero
// without metrics).
func (se *session) finish(name int, out []byte, err error, start time.Time) {
	s := se.srv
	if s.m != nil {
		s.m.latency[name].Observe(time.Since(start).Seconds())
	}
	if err != nil {
		se.answer(name, statusOf(err), err.Error())
		return
	}
	res, werr := protocol.AppendResponse(se.out, protocol.StatusOK, out)
	if werr != nil {
		se.invalidResult(name, len(out))
		return
	}
	se.out = res
	s.m.answered(name, protocol.StatusOK)
}

// invalidResult answers a result that cannot be sent.
func (se *session) invalidResult(name, n int) {
	se.srv.log.Error("server: the executor returned a value that cannot be sent (empty or spanning lines)", "query", queryNames[name], "bytes", n)
	se.answer(name, protocol.StatusFailed, "server: the executor returned an invalid result")
}

// authenticate handles the first query on a server with a password. It
// reports whether the connection must be closed.
func (se *session) authenticate(line []byte, name int) (closeConn bool) {
	s := se.srv
	if name != nameAuth {
		se.answer(name, protocol.StatusRefused, protocol.MsgAuthNeeded)
		if s.m != nil {
			s.m.authNeeded.Inc()
		}
		s.log.Info("server: connection closed: first query was not auth", "remote", se.remote)
		return true
	}
	pw, err := parseAuth(line)
	var qe *query.Error
	if errors.As(err, &qe) && qe.Kind == query.KindMalformedJSON {
		// Not a query at all, so not an auth attempt either.
		return se.authenticate(nil, nameOther)
	}
	if err == nil && s.checkPassword(pw) {
		se.authed = true
		se.answer(name, protocol.StatusOK, protocol.AuthAccepted)
		return false
	}
	se.answer(name, protocol.StatusRefused, protocol.MsgAuthRejected)
	if s.m != nil {
		s.m.authRejected.Inc()
	}
	s.log.Warn("server: connection closed: auth rejected", "remote", se.remote)
	return true
}

// tooLarge answers a line longer than MaxRequestBytes (already skipped).
// Before authentication it counts as a first query that is not auth. It
// reports whether the connection must be closed.
func (se *session) tooLarge() (closeConn bool) {
	s := se.srv
	if s.m != nil {
		s.m.tooLarge.Inc()
	}
	if !se.authed {
		return se.authenticate(nil, nameOther)
	}
	se.answer(nameOther, protocol.StatusRefused, protocol.RequestTooLargeMessage(s.cfg.MaxRequestBytes))
	return false
}

// answer appends [status, msg] (msg as a JSON string) and counts it.
func (se *session) answer(name int, status protocol.Status, msg string) {
	se.out, _ = protocol.AppendError(se.out, status, msg)
	se.srv.m.answered(name, status)
}
