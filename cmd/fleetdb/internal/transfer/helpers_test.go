package transfer

import (
	"io"
	"testing"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/clitest"
	"github.com/spf13/cobra"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// commands are the commands of this package, as the root command adds
// them.
func commands(stdout, stderr io.Writer) []*cobra.Command {
	return []*cobra.Command{
		NewExportCmd(stdout, stderr),
		NewImportCmd(stdout, stderr),
		NewBackupCmd(stdout, stderr),
		NewRestoreCmd(stdout, stderr),
	}
}

// adminRun is how a test runs a command line.
type adminRun = clitest.RunOpts

// runAdmin runs the command line in-process with fresh commands, as main
// does, and returns the exit status, stdout and stderr.
var runAdmin = clitest.Runner(commands)
