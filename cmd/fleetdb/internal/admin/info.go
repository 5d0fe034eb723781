package admin

import (
	"io"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/spf13/cobra"
)

// NewInfoCmd builds `fleetdb info`.
func NewInfoCmd(stdout io.Writer) *cobra.Command {
	var f cliutil.AdminFlags
	cmd := &cobra.Command{
		Use:   "info",
		Short: "Show what the server reports about itself",
		Long: `Send ["info"] and show the answer: the server's version, whether it is
persistent (and then its log file size, fsync policy and whether it is
compacting), and its collection and record counts.`,
		Example: `  fleetdb info
  fleetdb info --json | jq '.records'`,
		Args: cliutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.WithClient(cmd.Context(), "info", func(c *client.Client, addr string) error {
				info, err := c.Info(cmd.Context())
				if err != nil {
					return err
				}
				return cliutil.NewOutput(stdout, f.AsJSON).Result(info.Raw, nil)
			})
		},
	}
	f.Register(cmd)
	return cmd
}
