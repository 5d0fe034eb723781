package cliutil

import (
	"context"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/spf13/cobra"
)

// AdminFlags are the flags every admin command has.
type AdminFlags struct {
	Conn   ConnFlags
	AsJSON bool
}

func (f *AdminFlags) Register(cmd *cobra.Command) {
	f.Conn.Register(cmd)
	addJSONFlag(cmd, &f.AsJSON)
	cmd.Long += "\n" + ConnHelp
}

// WithClient connects to the server, runs fn with the client and its
// address, and closes the client. Errors of fn are given the exit status
// of their kind (WrapServer).
func (f *AdminFlags) WithClient(ctx context.Context, what string, fn func(c *client.Client, addr string) error) error {
	c, addr, err := f.Conn.Dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return WrapServer(what, addr, fn(c, addr))
}
