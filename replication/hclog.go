package replication

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// hclogAdapter routes raft's hclog logging to a *slog.Logger. Raft's Info
// and Debug chatter maps to slog's levels one to one; the handler decides
// what is kept.
type hclogAdapter struct {
	l     *slog.Logger
	name  string
	level hclog.Level
	args  []any
}

var _ hclog.Logger = (*hclogAdapter)(nil)

func newHclog(l *slog.Logger, name string) *hclogAdapter {
	return &hclogAdapter{l: l, name: name, level: hclog.Debug}
}

func slogLevel(level hclog.Level) slog.Level {
	switch {
	case level <= hclog.Debug:
		return slog.LevelDebug
	case level == hclog.Info:
		return slog.LevelInfo
	case level == hclog.Warn:
		return slog.LevelWarn
	}
	return slog.LevelError
}

func (h *hclogAdapter) Log(level hclog.Level, msg string, args ...any) {
	if level == hclog.Off || level < h.level {
		return
	}
	lv := slogLevel(level)
	if o, ok := raftLevels[msg]; ok && o < lv && (o != slog.LevelDebug || !keepIfReal(msg, args)) {
		lv = o
	}
	if msg == "heartbeat timeout reached, starting election" && argString(args, "last-leader-id") == "" {
		// The first election since this node started (a new cluster, or
		// one restarting whole): no leader was lost.
		lv = slog.LevelInfo
	}
	if !h.l.Enabled(context.Background(), lv) {
		return
	}
	all := make([]any, 0, len(h.args)+len(args)+2)
	all = append(all, "logger", h.name)
	all = append(all, h.args...)
	all = append(all, args...)
	for i, a := range all {
		if f, ok := a.(hclog.Format); ok && len(f) > 0 { // hclog.Fmt("%+v", x)
			if format, ok := f[0].(string); ok {
				all[i] = fmt.Sprintf(format, f[1:]...)
			}
		}
	}
	h.l.Log(context.Background(), lv, msg, all...)
}

// raftLevels lowers raft's messages about events that are part of a
// normal start, join, restart or shutdown, so that those log nothing at
// warning or error level. A real problem still shows: a member that stays
// unreachable is reported by the leader (Node.reportReachability), a
// failed election or a lost quorum keep raft's own warnings.
var raftLevels = map[string]slog.Level{
	// A member that joins has no configuration until the leader adds it.
	"no known peers, aborting election":                   slog.LevelDebug,
	"not part of stable configuration, aborting election": slog.LevelDebug,
	// A member that restarts is behind; the leader looks for where their
	// logs agree.
	"appendEntries rejected, sending older logs": slog.LevelDebug,
	"failed to get previous log":                 slog.LevelDebug,
	"previous log term mis-match":                slog.LevelDebug,
	// Every failed call to a member that is down (several a second).
	"failed to appendEntries to":              slog.LevelDebug,
	"failed to heartbeat to":                  slog.LevelDebug,
	"failed to start pipeline replication to": slog.LevelDebug,
	// The leader's lease check, every half heartbeat timeout while a
	// member is away (a restart): the node's own warning after five
	// heartbeat timeouts unreachable says it once (replication/upkeep).
	"failed to contact": slog.LevelInfo,
	// Elections while a member is down or was the leader.
	"failed to make requestVote RPC":                    slog.LevelInfo,
	"rejecting vote request since we have a leader":     slog.LevelInfo,
	"rejecting pre-vote request since we have a leader": slog.LevelInfo,
	// The old leader learns of the new one (after a hand-over at close).
	"peer has newer term, stopping replication": slog.LevelInfo,
	// A connection closed by a member that stops (EOF, reset, closed);
	// anything else stays an error (keepIfReal).
	"failed to decode incoming command": slog.LevelDebug,
	"failed to pipeline appendEntries":  slog.LevelDebug,
	// A member that stops while answering a call (a leadership check's
	// heartbeat, say): the mux closed the connection under raft.
	"failed to flush response": slog.LevelDebug,
}

// argString returns the string value of key in hclog's key-value args.
func argString(args []any, key string) string {
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i].(string); ok && k == key {
			return fmt.Sprint(args[i+1])
		}
	}
	return ""
}

// keepIfReal reports whether a message lowered to debug by raftLevels is
// about a real problem after all: a decode, pipeline or answer error that
// is not a closed connection.
func keepIfReal(msg string, args []any) bool {
	if msg != "failed to decode incoming command" && msg != "failed to pipeline appendEntries" && msg != "failed to flush response" {
		return false
	}
	for i := 0; i+1 < len(args); i += 2 {
		if err, ok := args[i+1].(error); ok {
			e := err.Error()
			for _, closed := range []string{"EOF", "closed", "reset by peer", "broken pipe", "transport shutdown"} {
				if strings.Contains(e, closed) {
					return false
				}
			}
			return true
		}
	}
	return false
}

func (h *hclogAdapter) Trace(msg string, args ...any) { h.Log(hclog.Trace, msg, args...) }
func (h *hclogAdapter) Debug(msg string, args ...any) { h.Log(hclog.Debug, msg, args...) }
func (h *hclogAdapter) Info(msg string, args ...any)  { h.Log(hclog.Info, msg, args...) }
func (h *hclogAdapter) Warn(msg string, args ...any)  { h.Log(hclog.Warn, msg, args...) }
func (h *hclogAdapter) Error(msg string, args ...any) { h.Log(hclog.Error, msg, args...) }

func (h *hclogAdapter) enabled(level hclog.Level) bool {
	return level >= h.level && h.l.Enabled(context.Background(), slogLevel(level))
}

func (h *hclogAdapter) IsTrace() bool { return h.enabled(hclog.Trace) }
func (h *hclogAdapter) IsDebug() bool { return h.enabled(hclog.Debug) }
func (h *hclogAdapter) IsInfo() bool  { return h.enabled(hclog.Info) }
func (h *hclogAdapter) IsWarn() bool  { return h.enabled(hclog.Warn) }
func (h *hclogAdapter) IsError() bool { return h.enabled(hclog.Error) }

func (h *hclogAdapter) ImpliedArgs() []any { return h.args }

func (h *hclogAdapter) With(args ...any) hclog.Logger {
	c := *h
	c.args = append(append([]any(nil), h.args...), args...)
	return &c
}

func (h *hclogAdapter) Name() string { return h.name }

func (h *hclogAdapter) Named(name string) hclog.Logger {
	c := *h
	if c.name != "" {
		c.name += "." + name
	} else {
		c.name = name
	}
	return &c
}

func (h *hclogAdapter) ResetNamed(name string) hclog.Logger {
	c := *h
	c.name = name
	return &c
}

func (h *hclogAdapter) SetLevel(level hclog.Level) { h.level = level }
func (h *hclogAdapter) GetLevel() hclog.Level      { return h.level }

func (h *hclogAdapter) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(h.StandardWriter(opts), "", 0)
}

func (h *hclogAdapter) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		h.Info(strings.TrimSpace(string(p)))
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
