package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/spf13/cobra"
	"github.com/tidwall/gjson"
)

// NewQueryCmd builds `fleetdb query`.
func NewQueryCmd(stdout io.Writer) *cobra.Command {
	var f cliutil.AdminFlags
	cmd := &cobra.Command{
		Use:   "query QUERY|-",
		Short: "Run one query and show its result",
		Long: `Run one query of the query language (a JSON array, see the README) and show
its result: records as a table with one column per attribute, other results
as they are; JSON with --json or when stdout is not a terminal. With "-" the
query is read from stdin (it may span lines).`,
		Example: `  fleetdb query '["select", "people", {"where": ["=", "city", "Paris"], "limit": 10}]'
  fleetdb query '["count", "people"]'
  fleetdb query '["insert", "people", {"id": 7, "name": "Ann"}]'
  fleetdb query --json '["select", "people"]' | jq '.[].name'
  echo '["list-collections"]' | fleetdb query -`,
		Args: cliutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := readQueryArg(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			return f.WithClient(cmd.Context(), "query", func(c *client.Client, _ string) error {
				v, err := c.Query(cmd.Context(), q)
				if err != nil {
					return err
				}
				o := cliutil.NewOutput(stdout, f.AsJSON)
				if !o.JSON && gjson.GetBytes(q, "0").String() == "explain" {
					_, err := io.WriteString(stdout, RenderPlan(v))
					return err
				}
				return o.Result(v, cliutil.OnlyNames(q))
			})
		},
	}
	f.Register(cmd)
	return cmd
}

// readQueryArg returns the query given on the command line, or read from
// stdin for "-", as one line of JSON.
func readQueryArg(arg string, stdin io.Reader) (json.RawMessage, error) {
	q := []byte(arg)
	if arg == "-" {
		var err error
		if q, err = io.ReadAll(stdin); err != nil {
			return nil, fmt.Errorf("reading the query from stdin: %w", err)
		}
	}
	return OneLine(q)
}

// OneLine makes a query typed by a person one request line: compact JSON
// when it is valid, otherwise the text with its line breaks turned into
// spaces (the server then says what is wrong with it).
func OneLine(q []byte) (json.RawMessage, error) {
	q = bytes.TrimSpace(q)
	if len(q) == 0 {
		return nil, cliutil.Usagef(errors.New("empty query"))
	}
	var buf bytes.Buffer
	if json.Compact(&buf, q) == nil {
		return buf.Bytes(), nil
	}
	s := strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(string(q))
	return json.RawMessage(s), nil
}
