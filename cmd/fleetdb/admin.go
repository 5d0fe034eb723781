package main

import (
	"context"
	"io"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/spf13/cobra"
)

// newAdminCmds builds the commands that talk to a running server (SPEC
// §8). Each has its own connection flags and --json; their output goes to
// stdout, their progress bars and summaries to stderr.
func newAdminCmds(stdout, stderr io.Writer) []*cobra.Command {
	return []*cobra.Command{
		newPingCmd(stdout),
		newInfoCmd(stdout),
		newCollectionsCmd(stdout),
		newDropCollectionCmd(stdout),
		newIndexesCmd(stdout),
		newQueryCmd(stdout),
		newExplainCmd(stdout),
		newCompactCmd(stdout),
		newExportCmd(stdout, stderr),
		newImportCmd(stdout, stderr),
		newBackupCmd(stdout, stderr),
		newRestoreCmd(stdout, stderr),
		newShellCmd(stdout, stderr),
	}
}

// adminFlags are the flags every admin command has.
type adminFlags struct {
	conn   connFlags
	asJSON bool
}

func (f *adminFlags) register(cmd *cobra.Command) {
	f.conn.register(cmd)
	addJSONFlag(cmd, &f.asJSON)
	cmd.Long += "\n" + connHelp
}

// withClient connects to the server, runs fn with the client and its
// address, and closes the client. Errors of fn are given the exit status
// of their kind (wrapServer).
func (f *adminFlags) withClient(ctx context.Context, what string, fn func(c *client.Client, addr string) error) error {
	c, addr, err := f.conn.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return wrapServer(what, addr, fn(c, addr))
}
