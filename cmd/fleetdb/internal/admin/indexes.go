package admin

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/spf13/cobra"
)

// NewIndexesCmd builds `fleetdb indexes`.
func NewIndexesCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "indexes",
		Short: "List, create and drop the indexes of a collection",
		Long: `List, create and drop the indexes of a collection.

An index SPEC is an attribute name (a dotted name reaches a nested field:
address.city), or the JSON of a compound spec: a list of components, each a
name or [name, "asc"|"desc"]. "age", ["age"] and [["age","asc"]] name the
same index.`,
		Example: `  fleetdb indexes list people
  fleetdb indexes create people age
  fleetdb indexes create people '["city", ["age", "desc"]]'
  fleetdb indexes drop people age`,
		Args: cliutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newIndexesListCmd(stdout), newIndexChangeCmd(stdout, true), newIndexChangeCmd(stdout, false))
	return cmd
}

func newIndexesListCmd(stdout io.Writer) *cobra.Command {
	var f cliutil.AdminFlags
	cmd := &cobra.Command{
		Use:   "list COLL",
		Short: "List the index specs of a collection",
		Long:  `Send ["list-indexes", COLL] and show the specs as they were given at creation.`,
		Example: `  fleetdb indexes list people
  fleetdb indexes list people --json    # ["age",["city",["age","desc"]]]`,
		Args: cliutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.WithClient(cmd.Context(), "list-indexes", func(c *client.Client, _ string) error {
				specs, err := c.ListIndexes(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				o := cliutil.NewOutput(stdout, f.AsJSON)
				if o.JSON {
					if specs == nil {
						specs = []json.RawMessage{}
					}
					return o.Emit(specs)
				}
				if len(specs) == 0 {
					return o.Say("(no indexes on %q)", args[0])
				}
				rows := make([][]string, len(specs))
				for i, s := range specs {
					rows[i] = []string{string(s)}
				}
				_, err = io.WriteString(stdout, cliutil.RenderTable([]string{"index"}, rows, cliutil.Plural(len(specs), "index", "indexes")))
				return err
			})
		},
	}
	f.Register(cmd)
	return cmd
}

// newIndexChangeCmd builds `indexes create` (create true) or `indexes drop`.
func newIndexChangeCmd(stdout io.Writer, create bool) *cobra.Command {
	var f cliutil.AdminFlags
	verb, query := "drop", "drop-index"
	long := `Send ["drop-index", COLL, SPEC]. Dropping an index that does not exist is not
an error; the output says whether there was one.`
	example := `  fleetdb indexes drop people age
  fleetdb indexes drop people '["city", ["age", "desc"]]' --json   # {"dropped":true,...}`
	if create {
		verb, query = "create", "create-index"
		long = `Send ["create-index", COLL, SPEC]. The index is built from the records
already there. Creating an index that exists is not an error; the output says
whether it was created.`
		example = `  fleetdb indexes create people age
  fleetdb indexes create people address.city
  fleetdb indexes create people '["city", ["age", "desc"]]'`
	}
	cmd := &cobra.Command{
		Use:     verb + " COLL SPEC",
		Short:   strings.ToUpper(verb[:1]) + verb[1:] + " an index (SPEC: an attribute name or the JSON of a compound spec)",
		Long:    long,
		Example: example,
		Args:    cliutil.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			coll := args[0]
			spec, err := parseSpec(args[1])
			if err != nil {
				return cliutil.Usagef(err)
			}
			return f.WithClient(cmd.Context(), query, func(c *client.Client, _ string) error {
				var changed bool
				if create {
					changed, err = c.CreateIndex(cmd.Context(), coll, spec)
				} else {
					changed, err = c.DropIndex(cmd.Context(), coll, spec)
				}
				if err != nil {
					return err
				}
				o := cliutil.NewOutput(stdout, f.AsJSON)
				key := map[bool]string{true: "created", false: "dropped"}[create]
				switch {
				case o.JSON:
					return o.Emit(map[string]any{"collection": coll, "index": spec, key: changed})
				case changed:
					return o.Say("%s index %s on %q", key, spec, coll)
				case create:
					return o.Say("index %s on %q exists already: nothing created", spec, coll)
				}
				return o.Say("no index %s on %q: nothing dropped", spec, coll)
			})
		},
	}
	f.Register(cmd)
	return cmd
}

// parseSpec reads an index spec from the command line: JSON when it starts
// like a JSON string or list, otherwise an attribute name.
func parseSpec(arg string) (json.RawMessage, error) {
	s := strings.TrimSpace(arg)
	if s == "" {
		return nil, fmt.Errorf("empty index spec")
	}
	if s[0] != '[' && s[0] != '"' {
		b, _ := json.Marshal(s)
		return b, nil
	}
	if !json.Valid([]byte(s)) {
		return nil, fmt.Errorf("index spec %s is not valid JSON", s)
	}
	return cliutil.CompactJSON([]byte(s)), nil
}
