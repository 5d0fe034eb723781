package bench

import (
	"context"
	"io"
	"testing"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/clitest"
	"github.com/spf13/cobra"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func commands(stdout, stderr io.Writer) []*cobra.Command {
	return []*cobra.Command{NewBenchCmd(stdout, stderr)}
}

// runCmd runs the command line with stdout and stderr not terminals.
func runCmd(t testing.TB, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr clitest.SyncBuffer
	code := clitest.RunIO(ctx, commands, nil, &stdout, &stderr, args...)
	return code, stdout.String(), stderr.String()
}
