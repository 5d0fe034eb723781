package admin

import (
	"context"
	"io"
	"time"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/spf13/cobra"
)

// compactReport is compact's result (the JSON of --json).
type compactReport struct {
	Started bool `json:"started"`
	// Reason says why nothing started: "ephemeral" (no log) or "running"
	// (a compaction is under way already).
	Reason string `json:"reason,omitempty"`
	// SizeBefore and SizeAfter are the log's size in bytes; SizeAfter only
	// with --wait.
	SizeBefore int64  `json:"size_before,omitempty"`
	SizeAfter  *int64 `json:"size_after,omitempty"`
}

// NewCompactCmd builds `fleetdb compact`.
func NewCompactCmd(stdout io.Writer) *cobra.Command {
	var f cliutil.AdminFlags
	var wait bool
	cmd := &cobra.Command{
		Use:   "compact",
		Short: "Start a compaction of the server's log",
		Long: `Send ["compact"]: a persistent server rewrites its log from a snapshot in the
background, without blocking reads or writes. An ephemeral server (-e) has
no log, and the command says so (exit status 0). With --wait it waits for
the compaction to end and reports the new log size; if one was running
already, it waits for that one.`,
		Example: `  fleetdb compact
  fleetdb compact --wait
  fleetdb compact --json     # {"started":false,"reason":"ephemeral"}`,
		Args: cliutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return f.WithClient(ctx, "compact", func(c *client.Client, addr string) error {
				rep, err := runCompact(ctx, c, wait)
				if err != nil {
					return err
				}
				o := cliutil.NewOutput(stdout, f.AsJSON)
				switch {
				case o.JSON:
					return o.Emit(rep)
				case rep.Reason == "ephemeral":
					return o.Say("nothing to compact: the server at %s is ephemeral (it has no log file)", addr)
				case rep.Reason == "running" && rep.SizeAfter != nil:
					return o.Say("waited for the compaction that was running: %d bytes before, %d after", rep.SizeBefore, *rep.SizeAfter)
				case rep.Reason == "running":
					return o.Say("a compaction is already running (log: %d bytes)", rep.SizeBefore)
				case rep.SizeAfter != nil:
					return o.Say("compacted the log: %d bytes before, %d after", rep.SizeBefore, *rep.SizeAfter)
				}
				return o.Say("compaction started in the background (log: %d bytes); see fleetdb info", rep.SizeBefore)
			})
		},
	}
	f.Register(cmd)
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the compaction is over")
	return cmd
}

func runCompact(ctx context.Context, c *client.Client, wait bool) (compactReport, error) {
	info, err := c.Info(ctx)
	if err != nil {
		return compactReport{}, err
	}
	rep := compactReport{SizeBefore: info.DBFileSize}
	if !info.Persistent {
		rep.Reason = "ephemeral"
		return rep, nil
	}
	started, err := c.Compact(ctx)
	if err != nil {
		return rep, err
	}
	rep.Started = started
	if !started {
		rep.Reason = "running"
	}
	if !wait {
		return rep, nil
	}
	// Wait for the compaction this call started or, if one was running
	// already, for that one.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		info, err := c.Info(ctx)
		if err != nil {
			return rep, err
		}
		if !info.Compacting {
			rep.SizeAfter = &info.DBFileSize
			return rep, nil
		}
		select {
		case <-ctx.Done():
			return rep, ctx.Err()
		case <-tick.C:
		}
	}
}
