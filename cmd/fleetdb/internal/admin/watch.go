package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/spf13/cobra"
)

// watchConfig is what `fleetdb watch` is told by its flags.
type watchConfig struct {
	f       cliutil.AdminFlags
	where   string
	from    uint64
	initial bool
}

func NewWatchCmd(stdout, stderr io.Writer) *cobra.Command {
	var cfg watchConfig
	cmd := &cobra.Command{
		Use:   "watch COLL",
		Short: "Follow the changes to a collection as they are committed",
		Long: `Send ["watch", COLL, {...}] and print every change to the collection (those to
records matching --where, before or after the write) until Ctrl-C: one JSON
object per line when stdout is not a terminal (or with --json), a readable
line each on a terminal. Events come in position order, only for writes that
are durable (committed, in a cluster), none lost or repeated.

--from N resumes after position N (the "position" of the last event seen, or
of ["info"]); --initial first prints the matching records (op "initial"),
then a "ready" line. If the feed falls behind (the output is not read fast
enough) it resumes by itself from the last position printed.`,
		Example: `  fleetdb watch people
  fleetdb watch people --where '["<", "age", 30]' --initial
  fleetdb watch people --from 1200 | jq -c 'select(.op == "delete")'`,
		Args: cliutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := client.WatchOptions{Initial: cfg.initial}
			if cfg.where != "" {
				if !json.Valid([]byte(cfg.where)) {
					return cliutil.Usagef(fmt.Errorf("--where %s: not valid JSON", cfg.where))
				}
				opts.Where = json.RawMessage(cliutil.CompactJSON([]byte(cfg.where)))
			}
			if cmd.Flags().Changed("from") {
				opts.From, opts.HasFrom = cfg.from, true
			}
			return cfg.f.WithClient(cmd.Context(), "watch "+args[0], func(c *client.Client, _ string) error {
				return runWatch(cmd.Context(), c, args[0], opts, cliutil.NewOutput(stdout, cfg.f.AsJSON).JSON, stdout, stderr)
			})
		},
	}
	cfg.f.Register(cmd)
	f := cmd.Flags()
	f.StringVar(&cfg.where, "where", "", "only changes to records matching this condition (JSON), before or after the write")
	f.Uint64Var(&cfg.from, "from", 0, "resume after this position")
	f.BoolVar(&cfg.initial, "initial", false, "print the matching records first, then a ready line")
	return cmd
}

// runWatch prints the feed's events until ctx ends (exit status 0).
func runWatch(ctx context.Context, c *client.Client, coll string, opts client.WatchOptions, asJSON bool, stdout, stderr io.Writer) error {
	for {
		w, err := c.Watch(ctx, coll, opts)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if !asJSON {
			fmt.Fprintf(stderr, "watching %s after position %d (Ctrl-C to stop)\n", coll, w.Position())
		}
		err = follow(ctx, w, asJSON, stdout)
		w.Close()
		if ctx.Err() != nil {
			return nil
		}
		n, behind := client.ResumeFrom(err)
		if !behind {
			return err
		}
		fmt.Fprintf(stderr, "fleetdb: the feed fell behind; resuming from position %d\n", n)
		opts.From, opts.HasFrom, opts.Initial = n, true, false
	}
}

func follow(ctx context.Context, w *client.Watch, asJSON bool, stdout io.Writer) error {
	for {
		ev, err := w.Next(ctx)
		if err != nil {
			return err
		}
		line := string(ev.Raw)
		if !asJSON {
			line = eventLine(ev)
		}
		if _, err := io.WriteString(stdout, line+"\n"); err != nil {
			return fmt.Errorf("writing the events: %w", err)
		}
	}
}

// eventLine is an event as a readable line: position, op, id, and the
// records (old → new).
func eventLine(ev client.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-8d %-7s", ev.Position, ev.Op)
	switch ev.Op {
	case "ready", "drop":
	case "initial":
		b.WriteString(" " + string(ev.New))
	default:
		fmt.Fprintf(&b, " id=%s ", ev.ID)
		switch {
		case ev.Old == nil:
			b.WriteString(string(ev.New))
		case ev.New == nil:
			b.WriteString(string(ev.Old) + " → (gone)")
		default:
			b.WriteString(string(ev.Old) + " → " + string(ev.New))
		}
	}
	return b.String()
}
