package admin

import (
	"context"
	"io"
	"testing"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/clitest"
	"github.com/spf13/cobra"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// commands are the commands of this package, as the root command adds
// them.
func commands(stdout, stderr io.Writer) []*cobra.Command {
	return []*cobra.Command{
		NewPingCmd(stdout),
		NewInfoCmd(stdout),
		NewCollectionsCmd(stdout),
		NewDropCollectionCmd(stdout),
		NewIndexesCmd(stdout),
		NewQueryCmd(stdout),
		NewExplainCmd(stdout),
		NewCompactCmd(stdout),
		NewWatchCmd(stdout, stderr),
		NewCheckCmd(stdout, stderr),
		NewClusterCmd(stdout, stderr),
	}
}

// adminRun is how a test runs a command line.
type adminRun struct {
	stdin     io.Reader
	tty       bool // stdout is a terminal
	stderrTTY bool
}

// runAdmin runs the command line in-process with fresh commands, as main
// does, and returns the exit status, stdout and stderr.
func runAdmin(t testing.TB, r adminRun, args ...string) (int, string, string) {
	t.Helper()
	return clitest.Run(t, commands, clitest.RunOpts{Stdin: r.stdin, TTY: r.tty, StderrTTY: r.stderrTTY}, args...)
}

// runCmd runs the command line with stdout and stderr not terminals.
func runCmd(t testing.TB, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr clitest.SyncBuffer
	code := clitest.RunIO(ctx, commands, nil, &stdout, &stderr, args...)
	return code, stdout.String(), stderr.String()
}

// testServer serves an ephemeral database until the test ends, and
// returns its port as a flag value and a client of it.
func testServer(t testing.TB, password string, opts ...func(*clitest.ServerConfig)) (port string, c *client.Client) {
	t.Helper()
	cfg := clitest.ServerConfig{Password: password}
	for _, o := range opts {
		o(&cfg)
	}
	return clitest.Server(t, cfg)
}

var (
	mustQuery         = clitest.MustQuery
	loadPeople        = clitest.LoadPeople
	checkGolden       = clitest.CheckGolden
	freePort          = clitest.FreePort
	fakeFailingServer = clitest.FakeFailingServer
)
