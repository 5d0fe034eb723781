package admin

import (
	"io"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/spf13/cobra"
)

// NewDropCollectionCmd builds `fleetdb drop-collection`.
func NewDropCollectionCmd(stdout io.Writer) *cobra.Command {
	var f cliutil.AdminFlags
	cmd := &cobra.Command{
		Use:   "drop-collection NAME",
		Short: "Drop a collection: its records and its indexes",
		Long: `Send ["drop-collection", NAME]: the collection's records and indexes are
gone. Dropping a collection that does not exist is not an error; the output
says whether there was one.`,
		Example: `  fleetdb drop-collection sessions
  fleetdb drop-collection sessions --json      # {"collection":"sessions","dropped":true}`,
		Args: cliutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			return f.WithClient(cmd.Context(), "drop-collection", func(c *client.Client, _ string) error {
				dropped, err := c.DropCollection(cmd.Context(), name)
				if err != nil {
					return err
				}
				o := cliutil.NewOutput(stdout, f.AsJSON)
				switch {
				case o.JSON:
					return o.Emit(map[string]any{"collection": name, "dropped": dropped})
				case dropped:
					return o.Say("dropped collection %q", name)
				}
				return o.Say("no collection %q: nothing dropped", name)
			})
		},
	}
	f.Register(cmd)
	return cmd
}
