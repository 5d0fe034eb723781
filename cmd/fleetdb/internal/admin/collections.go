package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/spf13/cobra"
)

// collectionInfo is one row of collections (the JSON of --json).
type collectionInfo struct {
	Name    string            `json:"name"`
	Records int               `json:"records"`
	Indexes int               `json:"indexes"`
	Specs   []json.RawMessage `json:"index_specs"`
}

// NewCollectionsCmd builds `fleetdb collections`.
func NewCollectionsCmd(stdout io.Writer) *cobra.Command {
	var f cliutil.AdminFlags
	cmd := &cobra.Command{
		Use:     "collections",
		Aliases: []string{"ls"},
		Short:   "List the collections with their record and index counts",
		Long: `List the server's collections (those holding a record or an index), with
the number of records and of indexes of each, all read from one snapshot.`,
		Example: `  fleetdb collections
  fleetdb collections --json | jq -r '.[].name'`,
		Args: cliutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.WithClient(cmd.Context(), "collections", func(c *client.Client, _ string) error {
				infos, err := ListCollections(cmd.Context(), c)
				if err != nil {
					return err
				}
				o := cliutil.NewOutput(stdout, f.AsJSON)
				if o.JSON {
					return o.Emit(infos)
				}
				if len(infos) == 0 {
					return o.Say("(no collections)")
				}
				rows := make([][]string, len(infos))
				var total int64
				for i, ci := range infos {
					rows[i] = []string{ci.Name, strconv.Itoa(ci.Records), strconv.Itoa(ci.Indexes)}
					total += int64(ci.Records)
				}
				_, err = io.WriteString(stdout, cliutil.RenderTable([]string{"collection", "records", "indexes"}, rows,
					fmt.Sprintf("%s, %s", cliutil.Plural(len(infos), "collection", "collections"), cliutil.Plural64(total, "record", "records"))))
				return err
			})
		},
	}
	f.Register(cmd)
	return cmd
}

// ListCollections returns every collection with its counts, read in one
// multi-read. The names are learned first; if the snapshot of the
// multi-read has other names (a collection came or went in between), it
// is asked again.
func ListCollections(ctx context.Context, c *client.Client) ([]collectionInfo, error) {
	names, err := c.ListCollections(ctx)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		reads := []any{[]any{"list-collections"}}
		for _, n := range names {
			reads = append(reads, []any{"count", n}, []any{"list-indexes", n})
		}
		v, err := c.Query(ctx, []any{"multi-read", reads})
		if err != nil {
			return nil, err
		}
		var res []json.RawMessage
		var now []string
		if err := json.Unmarshal(v, &res); err != nil || len(res) != 1+2*len(names) || json.Unmarshal(res[0], &now) != nil {
			return nil, fmt.Errorf("%w: multi-read answered %.64s", client.ErrUnexpectedResult, v)
		}
		if !slices.Equal(now, names) && attempt < 5 {
			names = now
			continue
		}
		infos := make([]collectionInfo, 0, len(names))
		for i, n := range names {
			ci := collectionInfo{Name: n}
			if json.Unmarshal(res[1+2*i], &ci.Records) != nil || json.Unmarshal(res[2+2*i], &ci.Specs) != nil {
				return nil, fmt.Errorf("%w: multi-read answered %.64s", client.ErrUnexpectedResult, v)
			}
			ci.Indexes = len(ci.Specs)
			if ci.Specs == nil {
				ci.Specs = []json.RawMessage{}
			}
			infos = append(infos, ci)
		}
		return infos, nil
	}
}
