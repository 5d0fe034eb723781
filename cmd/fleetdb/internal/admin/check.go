package admin

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"

	"github.com/fleetdb-go/fleetdb/aof"
	"github.com/spf13/cobra"
)

// CheckReport is check's output (the JSON of --json).
type CheckReport struct {
	Path            string  `json:"path"`
	Records         int64   `json:"records"`
	Batches         int64   `json:"batches"`
	LastValidOffset int64   `json:"last_valid_offset"`
	Size            int64   `json:"size"`
	TornBytes       int64   `json:"torn_bytes"`
	Corruption      *string `json:"corruption"` // null when none
	OK              bool    `json:"ok"`         // no corruption (a torn tail is fine)
}

func NewCheckCmd(stdout, _ io.Writer) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check FILE",
		Short: "Check a log file offline",
		Long: `Check a log file without changing it, and report what opening it would find:
the records and batches it holds, where the last complete batch ends, and
either a torn tail (a crash in the middle of an append, which the server cuts
off at start, losing nothing acknowledged) or corruption (damage before the
tail, which the server refuses to start on).

The exit status is 0 for a good log (torn tail included), 1 for a corrupt
one or a file that cannot be read. Do not run it on a log a server is
appending to: the tail may look torn.`,
		Example: `  fleetdb check fleetdb.fdb
  fleetdb check --json /var/lib/fleetdb/app.fdb | jq .ok`,
		Args: cliutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := aof.Check(args[0], nil)
			if err != nil {
				return err
			}
			out := CheckReport{
				Path:            args[0],
				Records:         rep.Records,
				Batches:         rep.Batches,
				LastValidOffset: rep.LastValidOffset,
				Size:            rep.Size,
				TornBytes:       rep.TornBytes,
				OK:              rep.Corruption == nil,
			}
			if rep.Corruption != nil {
				msg := rep.Corruption.Error()
				out.Corruption = &msg
			}
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(out); err != nil {
					return err
				}
			} else {
				printCheck(stdout, out)
			}
			if !out.OK {
				return fmt.Errorf("%s: %w", args[0], cliutil.ErrCorrupt)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func printCheck(w io.Writer, r CheckReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "file\t%s\n", r.Path)
	fmt.Fprintf(tw, "records\t%d\n", r.Records)
	fmt.Fprintf(tw, "batches\t%d\n", r.Batches)
	fmt.Fprintf(tw, "last valid offset\t%d\n", r.LastValidOffset)
	fmt.Fprintf(tw, "size\t%d\n", r.Size)
	fmt.Fprintf(tw, "torn bytes\t%d\n", r.TornBytes)
	switch {
	case r.Corruption != nil:
		fmt.Fprintf(tw, "corruption\t%s\n", *r.Corruption)
		fmt.Fprintf(tw, "status\tCORRUPT: the server will not open it\n")
	case r.TornBytes > 0:
		fmt.Fprintf(tw, "corruption\tnone\n")
		fmt.Fprintf(tw, "status\tok, with a torn tail of %d bytes that opening cuts off\n", r.TornBytes)
	default:
		fmt.Fprintf(tw, "corruption\tnone\n")
		fmt.Fprintf(tw, "status\tok\n")
	}
	tw.Flush()
}
