package shell

import (
	"io"
	"testing"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/clitest"
	"github.com/spf13/cobra"
	"go.uber.org/goleak"
)

// TestMain doubles as the fleetdb binary: with FLEETDB_TEST_MAIN=1 the test
// binary runs the shell command with its arguments (the PTY test starts it
// as a child process that way).
func TestMain(m *testing.M) {
	if clitest.Main(commands) {
		return
	}
	goleak.VerifyTestMain(m)
}

// commands are the commands of this package, as the root command adds
// them.
func commands(stdout, stderr io.Writer) []*cobra.Command {
	return []*cobra.Command{
		NewShellCmd(stdout, stderr),
	}
}

// adminRun is how a test runs a command line.
type adminRun = clitest.RunOpts

// runAdmin runs the command line in-process with fresh commands, as main
// does, and returns the exit status, stdout and stderr.
var runAdmin = clitest.Runner(commands)
