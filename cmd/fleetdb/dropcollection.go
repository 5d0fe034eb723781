package main

import (
	"io"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/spf13/cobra"
)

func newDropCollectionCmd(stdout io.Writer) *cobra.Command {
	var f adminFlags
	cmd := &cobra.Command{
		Use:   "drop-collection NAME",
		Short: "Drop a collection: its records and its indexes",
		Long: `Send ["drop-collection", NAME]: the collection's records and indexes are
gone. Dropping a collection that does not exist is not an error; the output
says whether there was one.`,
		Example: `  fleetdb drop-collection sessions
  fleetdb drop-collection sessions --json      # {"collection":"sessions","dropped":true}`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			return f.withClient(cmd.Context(), "drop-collection", func(c *client.Client, _ string) error {
				dropped, err := c.DropCollection(cmd.Context(), name)
				if err != nil {
					return err
				}
				o := newOutput(stdout, f.asJSON)
				switch {
				case o.json:
					return o.emit(map[string]any{"collection": name, "dropped": dropped})
				case dropped:
					return o.say("dropped collection %q", name)
				}
				return o.say("no collection %q: nothing dropped", name)
			})
		},
	}
	f.register(cmd)
	return cmd
}
