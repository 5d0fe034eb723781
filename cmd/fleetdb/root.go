package main

import (
	"fmt"
	"io"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/admin"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/bench"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/shell"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/transfer"
	"github.com/fleetdb-go/fleetdb/query"
	"github.com/spf13/cobra"
)

// newRootCmd builds the fleetdb command tree. Output goes to stdout and
// stderr; nothing is global, so tests build as many as they like.
func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "fleetdb",
		Short: "FleetDB for Go: an in-memory JSON document database",
		Long: `FleetDB for Go: an in-memory JSON document database that speaks the
JSON-lines protocol and query language of the original FleetDB.

The admin commands (collections, query, import, backup, shell, ...) talk to a
running server: --host/--port or FLEETDB_ADDR=host:port, and --password or
FLEETDB_PASSWORD. They print tables on a terminal and JSON with --json or
when stdout is not a terminal.

Exit status:
  0  success
  1  failure (a file, a bad input line, a corrupt log, ...)
  2  usage error (unknown command or flag, bad value)
  3  the server refused a query (status 1: malformed query, duplicated id,
     authentication rejected): sending it again unchanged will fail again
  4  the server could not carry a query out (status 2: shutting down, I/O
     error, no leader): it may be retried
  5  the server could not be reached, or the connection was lost mid-query`,
		Example: `  fleetdb serve -f app.fdb            # serve on 127.0.0.1:3400 with a log file
  fleetdb serve -e -p 3401            # ephemeral, nothing on disk
  fleetdb check app.fdb               # check a log file offline
  fleetdb bench --type ping -d 5s     # load a running server
  fleetdb collections                 # list the collections of 127.0.0.1:3400
  fleetdb query '["select", "people", {"limit": 5}]'
  fleetdb shell                       # an interactive prompt`,
		Version:       query.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		// A bare "fleetdb" prints the help; an unknown command is a usage
		// error (exit status 2).
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				err := fmt.Errorf("unknown command %q", args[0])
				if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
					err = fmt.Errorf("%w; did you mean %q?", err, s[0])
				}
				return cliutil.Usagef(err)
			}
			return cmd.Help()
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cliutil.Usagef(err) })
	root.AddCommand(
		newServeCmd(stdout, stderr),
		admin.NewCheckCmd(stdout, stderr),
		bench.NewBenchCmd(stdout, stderr),
		admin.NewClusterCmd(stdout, stderr),
	)
	root.AddCommand(newAdminCmds(stdout, stderr)...)
	return root
}

// newAdminCmds builds the commands that talk to a running server (README,
// "The CLI"). Each has its own connection flags and --json; their output goes to
// stdout, their progress bars and summaries to stderr.
func newAdminCmds(stdout, stderr io.Writer) []*cobra.Command {
	return []*cobra.Command{
		admin.NewPingCmd(stdout),
		admin.NewInfoCmd(stdout),
		admin.NewCollectionsCmd(stdout),
		admin.NewDropCollectionCmd(stdout),
		admin.NewIndexesCmd(stdout),
		admin.NewQueryCmd(stdout),
		admin.NewExplainCmd(stdout),
		admin.NewCompactCmd(stdout),
		admin.NewWatchCmd(stdout, stderr),
		transfer.NewExportCmd(stdout, stderr),
		transfer.NewImportCmd(stdout, stderr),
		transfer.NewBackupCmd(stdout, stderr),
		transfer.NewRestoreCmd(stdout, stderr),
		shell.NewShellCmd(stdout, stderr),
	}
}
