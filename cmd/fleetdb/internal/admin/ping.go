package admin

import (
	"io"
	"time"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/spf13/cobra"
)

// NewPingCmd builds `fleetdb ping`.
func NewPingCmd(stdout io.Writer) *cobra.Command {
	var f cliutil.AdminFlags
	cmd := &cobra.Command{
		Use:   "ping",
		Short: "Check that a server answers",
		Long: `Send ["ping"] and report the round-trip time of the answer ("pong").
The exit status says whether the server answers, so ping suits health checks.`,
		Example: `  fleetdb ping
  fleetdb ping --host db1.internal --port 3400 --password "$PW"
  FLEETDB_ADDR=127.0.0.1:3401 fleetdb ping --json    # {"addr":...,"reply":"pong","ms":0.18}`,
		Args: cliutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.WithClient(cmd.Context(), "ping", func(c *client.Client, addr string) error {
				start := time.Now()
				if err := c.Ping(cmd.Context()); err != nil {
					return err
				}
				ms := float64(time.Since(start).Microseconds()) / 1000
				o := cliutil.NewOutput(stdout, f.AsJSON)
				if o.JSON {
					return o.Emit(map[string]any{"addr": addr, "reply": "pong", "ms": ms})
				}
				return o.Say("pong from %s in %.2f ms", addr, ms)
			})
		},
	}
	f.Register(cmd)
	return cmd
}
