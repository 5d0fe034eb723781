package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"text/tabwriter"

	"github.com/fleetdb-go/fleetdb"
	"github.com/fleetdb-go/fleetdb/aof"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
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
	TornReason      string  `json:"torn_reason,omitempty"` // what the torn tail is
	Corruption      *string `json:"corruption"`            // null when none
	// Replay is why the log's writes do not replay (an old log that calls
	// a command), null when they do.
	Replay *string `json:"replay"`
	OK     bool    `json:"ok"` // opens: no corruption (a torn tail is fine), replays
	// Repair is what --repair did (absent without --repair).
	Repair *RepairReport `json:"repair,omitempty"`
}

// RepairReport is what check --repair cut.
type RepairReport struct {
	CutOffset  int64  `json:"cut_offset"`
	CutBytes   int64  `json:"cut_bytes"`
	CutBatches int64  `json:"cut_batches"`
	CutRecords int64  `json:"cut_records"`
	CutFile    string `json:"cut_file"` // "" when nothing was cut
	Reason     string `json:"reason"`
}

// NewCheckCmd builds `fleetdb check`.
func NewCheckCmd(stdout, _ io.Writer) *cobra.Command {
	var asJSON, repair bool
	cmd := &cobra.Command{
		Use:   "check FILE",
		Short: "Check a log file offline, or repair it",
		Long: `Check a log file without changing it, and report what opening it would find:
the records and batches it holds, where the last complete batch ends, and
either a torn tail (a crash in the middle of an append, which the server cuts
off at start, losing nothing acknowledged) or corruption (damage before the
tail, which the server refuses to start on). It also replays the log's
writes, as the server does at start.

With --repair, a damaged log (corruption or a torn tail) is cut at the start
of the damaged batch. Nothing is deleted: every byte cut is first written to
FILE.cut-<offset> beside the log and made durable, then the log is cut and
synced. The report says how many batches and records the cut bytes held;
the server then starts on the intact prefix. Stop the server first: repair
refuses a log that a server has open. To undo a repair, append the cut file
to the log (cat FILE.cut-N >> FILE).

The exit status is 0 for a good log (torn tail included) and after a
repair, 1 for a corrupt log, one that does not replay, or a file that cannot
be read. Do not run check on a log a server is appending to: the tail may
look torn.`,
		Example: `  fleetdb check fleetdb.fdb
  fleetdb check --json /var/lib/fleetdb/app.fdb | jq .ok
  fleetdb check --repair fleetdb.fdb    # cut at the damage, keep the cut bytes`,
		Args: cliutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			var rr *RepairReport
			if repair {
				r, err := fleetdb.RepairLog(path)
				if err != nil {
					return err
				}
				rr = &RepairReport{CutOffset: r.CutOffset, CutBytes: r.CutBytes, CutBatches: r.CutBatches,
					CutRecords: r.CutRecords, CutFile: r.CutPath, Reason: r.Reason}
			}
			rep, err := fleetdb.CheckLog(path, nil)
			var replay *string
			if err != nil {
				var pe *fs.PathError
				if errors.As(err, &pe) && !errors.Is(err, aof.ErrCorrupt) {
					return err // the file cannot be read
				}
				msg := err.Error()
				replay = &msg
			}
			out := CheckReport{
				Path:            path,
				Records:         rep.Records,
				Batches:         rep.Batches,
				LastValidOffset: rep.LastValidOffset,
				Size:            rep.Size,
				TornBytes:       rep.TornBytes,
				TornReason:      rep.TornReason,
				Replay:          replay,
				OK:              rep.Corruption == nil && replay == nil,
				Repair:          rr,
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
			switch {
			case out.Corruption != nil:
				return fmt.Errorf("%s: %w", path, cliutil.ErrCorrupt)
			case replay != nil:
				return fmt.Errorf("%s: the log does not replay: %s", path, *replay)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().BoolVar(&repair, "repair", false, "cut a damaged log at the damaged batch, keeping the cut bytes in FILE.cut-<offset>")
	return cmd
}

func printCheck(w io.Writer, r CheckReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "file\t%s\n", r.Path)
	if rr := r.Repair; rr != nil {
		if rr.CutFile == "" {
			fmt.Fprintf(tw, "repair\tnothing to cut\n")
		} else {
			fmt.Fprintf(tw, "repair\tcut %d bytes at offset %d (%s)\n", rr.CutBytes, rr.CutOffset, rr.Reason)
			fmt.Fprintf(tw, "cut\t%s, %s\n", cliutil.Plural64(rr.CutBatches, "batch", "batches"), cliutil.Plural64(rr.CutRecords, "record", "records"))
			fmt.Fprintf(tw, "cut bytes kept in\t%s\n", rr.CutFile)
		}
	}
	fmt.Fprintf(tw, "records\t%d\n", r.Records)
	fmt.Fprintf(tw, "batches\t%d\n", r.Batches)
	fmt.Fprintf(tw, "last valid offset\t%d\n", r.LastValidOffset)
	fmt.Fprintf(tw, "size\t%d\n", r.Size)
	fmt.Fprintf(tw, "torn bytes\t%d\n", r.TornBytes)
	switch {
	case r.Corruption != nil:
		fmt.Fprintf(tw, "corruption\t%s\n", *r.Corruption)
		fmt.Fprintf(tw, "status\tCORRUPT: the server will not open it; `fleetdb check --repair %s` cuts it at offset %d and keeps the cut bytes in %s\n",
			r.Path, r.LastValidOffset, aof.CutPath(r.Path, r.LastValidOffset))
	case r.Replay != nil:
		fmt.Fprintf(tw, "corruption\tnone\n")
		fmt.Fprintf(tw, "status\tDOES NOT REPLAY: %s\n", *r.Replay)
	case r.TornBytes > 0:
		fmt.Fprintf(tw, "corruption\tnone\n")
		fmt.Fprintf(tw, "status\tok, with a torn tail of %d bytes that opening cuts off: %s\n", r.TornBytes, r.TornReason)
	default:
		fmt.Fprintf(tw, "corruption\tnone\n")
		fmt.Fprintf(tw, "status\tok\n")
	}
	tw.Flush()
}
