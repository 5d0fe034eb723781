package replication

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

func TestHclogFormatValues(t *testing.T) {
	var buf bytes.Buffer
	h := newHclog(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), "raft")
	h.Info("configuration", "servers", hclog.Fmt("%+v", []int{1, 2}))
	if out := buf.String(); !strings.Contains(out, "servers=\"[1 2]\"") || strings.Contains(out, "%+v") {
		t.Fatalf("log line = %s", out)
	}
}

// TestRaftLevels: raft's messages about a normal start, join, restart or
// shutdown are logged below warning; real problems keep their level.
func TestRaftLevels(t *testing.T) {
	closed := errors.New("msgpack decode error [pos 0]: transport shutdown")
	garbled := errors.New("msgpack decode error [pos 12]: invalid byte descriptor")
	for _, c := range []struct {
		level hclog.Level
		msg   string
		args  []any
		want  string
	}{
		{hclog.Warn, "no known peers, aborting election", nil, "DEBUG"},
		{hclog.Warn, "appendEntries rejected, sending older logs", []any{"peer", "n2"}, "DEBUG"},
		{hclog.Error, "failed to heartbeat to", []any{"peer", "n2", "error", closed}, "DEBUG"},
		{hclog.Error, "failed to decode incoming command", []any{"error", closed}, "DEBUG"},
		{hclog.Error, "failed to decode incoming command", []any{"error", garbled}, "ERROR"},
		{hclog.Error, "failed to flush response", []any{"error", errors.New("write tcp 127.0.0.3:32805->127.0.0.1:60786: use of closed network connection")}, "DEBUG"},
		{hclog.Error, "failed to flush response", []any{"error", errors.New("write tcp: no buffer space available")}, "ERROR"},
		{hclog.Warn, "heartbeat timeout reached, starting election", []any{"last-leader-addr", "", "last-leader-id", ""}, "INFO"},
		{hclog.Warn, "heartbeat timeout reached, starting election", []any{"last-leader-addr", "a:1", "last-leader-id", "n1"}, "WARN"},
		{hclog.Warn, "failed to contact quorum of nodes, stepping down", nil, "WARN"},
		{hclog.Error, "failed to append to logs", []any{"error", garbled}, "ERROR"},
	} {
		var buf bytes.Buffer
		h := newHclog(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), "raft")
		h.Log(c.level, c.msg, c.args...)
		if !strings.Contains(buf.String(), "level="+c.want+" ") {
			t.Errorf("%q %v: %s, want level %s", c.msg, c.args, buf.String(), c.want)
		}
	}
}

// TestPeerHealthTransitions: a member that fails for the threshold is
// reported once; once it answers it is reported back once.
func TestPeerHealthTransitions(t *testing.T) {
	h := newPeerHealth()
	h.record("n2", nil)
	h.record("n3", errors.New("connection refused"))
	if down, up := h.transitions(time.Hour); len(down) != 0 || len(up) != 0 {
		t.Fatalf("before the threshold: %v %v", down, up)
	}
	down, _ := h.transitions(0)
	if len(down) != 1 || down[0].id != "n3" || down[0].err == nil {
		t.Fatalf("down = %+v", down)
	}
	if down, up := h.transitions(0); len(down) != 0 || len(up) != 0 {
		t.Fatalf("reported twice: %v %v", down, up)
	}
	h.record("n3", nil)
	if p, _ := h.get("n3"); !p.failingSince.IsZero() || p.lastContact.IsZero() || p.lastErr != nil {
		t.Fatalf("after an answer: %+v", p)
	}
	if down, up := h.transitions(0); len(down) != 0 || len(up) != 1 || up[0] != "n3" {
		t.Fatalf("back: %v %v", down, up)
	}
}
