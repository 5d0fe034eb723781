package cliutil

import (
	"strings"
	"testing"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/protocol"
)

// TestServerErrorRetryAdvice: a status-2 answer invites a retry, except
// from a server whose log failed, which refuses writes until restart (a
// full disk said "may be retried").
func TestServerErrorRetryAdvice(t *testing.T) {
	for _, tc := range []struct {
		msg   string
		retry bool
	}{
		{"fleetdb: write not applied: context deadline exceeded", true},
		{"fleetdb: the log failed; writes are refused until restart: aof: log failed: write /d/x.fdb: no space left on device", false},
	} {
		err := WrapServer("insert", "127.0.0.1:3400", &client.Error{Status: protocol.StatusFailed, Message: tc.msg})
		got := err.Error()
		if strings.Contains(got, "may be retried") != tc.retry || !strings.HasSuffix(got, tc.msg) {
			t.Errorf("%q", got)
		}
		if !tc.retry && !strings.Contains(got, "until it is restarted") {
			t.Errorf("%q", got)
		}
		if ExitStatus(err) != ExitFailed {
			t.Errorf("exit status %d", ExitStatus(err))
		}
	}
}
