package replication

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

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
