package admin

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/spf13/cobra"
	"github.com/tidwall/gjson"
)

// NewExplainCmd builds `fleetdb explain`.
func NewExplainCmd(stdout io.Writer) *cobra.Command {
	var f cliutil.AdminFlags
	cmd := &cobra.Command{
		Use:   "explain QUERY|-",
		Short: "Show how the server would run a select, count, update or delete",
		Long: `Send ["explain", QUERY] and show the plan as an indented tree, from the result
down to the access path (collection scan, lookup by id, index lookup or range);
the JSON plan with --json or when stdout is not a terminal. QUERY may also be a
whole ["explain", ...] query, or "-" to read it from stdin.`,
		Example: `  fleetdb explain '["select", "people", {"where": ["=", "city", "Paris"], "order": ["age", "desc"]}]'
  fleetdb explain '["count", "people", {"where": [">", "age", 30]}]' --json`,
		Args: cliutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := readQueryArg(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			if !json.Valid(q) {
				// Wrapped in ["explain", ...], the server's message would
				// quote the wrapper, not what was typed.
				return cliutil.Usagef(fmt.Errorf("explain: %s is not a JSON query; want one like [\"select\", \"people\", {\"where\": [\"=\", \"age\", 31]}]", q))
			}
			if gjson.GetBytes(q, "0").String() != "explain" {
				q = json.RawMessage(`["explain",` + string(q) + `]`)
			}
			return f.WithClient(cmd.Context(), "explain", func(c *client.Client, _ string) error {
				plan, err := c.Query(cmd.Context(), q)
				if err != nil {
					return err
				}
				o := cliutil.NewOutput(stdout, f.AsJSON)
				if o.JSON {
					return o.Emit(plan)
				}
				_, err = io.WriteString(stdout, RenderPlan(plan))
				return err
			})
		},
	}
	f.Register(cmd)
	return cmd
}

// RenderPlan draws a plan (docs/query-language.md) as a tree, one node per line:
//
//	limit 10
//	└─ sort ["age","desc"]
//	   └─ index-range people "city" left-right ["Paris"] .. ["Paris"]
func RenderPlan(raw json.RawMessage) string {
	var b strings.Builder
	drawPlan(&b, gjson.ParseBytes(raw), "", "")
	return b.String()
}

func drawPlan(b *strings.Builder, node gjson.Result, first, rest string) {
	label, kids := planNode(node)
	b.WriteString(first + label + "\n")
	for i, k := range kids {
		if i == len(kids)-1 {
			drawPlan(b, k, rest+"└─ ", rest+"   ")
		} else {
			drawPlan(b, k, rest+"├─ ", rest+"│  ")
		}
	}
}

// planNode returns the label of a plan node and its children.
func planNode(n gjson.Result) (string, []gjson.Result) {
	a := n.Array()
	if !n.IsArray() || len(a) == 0 || a[0].Type != gjson.String {
		return compactRaw(n.Raw), nil
	}
	name := a[0].String()
	args := a[1:]
	switch name {
	case "collection-scan":
		return name + " " + strings.Join(raws(args), " "), nil
	case "collection-lookup", "collection-multilookup":
		if len(args) == 1 && len(args[0].Array()) == 2 {
			p := args[0].Array()
			what := "id"
			if name == "collection-multilookup" {
				what = "ids"
			}
			return fmt.Sprintf("%s %s %s=%s", name, p[0].Raw, what, compactRaw(p[1].Raw)), nil
		}
	case "index-lookup":
		if len(args) == 1 && len(args[0].Array()) == 3 {
			p := args[0].Array()
			return fmt.Sprintf("%s %s index %s = %s", name, p[0].Raw, compactRaw(p[1].Raw), compactRaw(p[2].Raw)), nil
		}
	case "index-range":
		if len(args) == 1 && len(args[0].Array()) == 7 {
			p := args[0].Array()
			lo, hi := "(", ")"
			if p[4].Bool() {
				lo = "["
			}
			if p[6].Bool() {
				hi = "]"
			}
			return fmt.Sprintf("%s %s index %s %s %s%s .. %s%s", name, p[0].Raw, compactRaw(p[1].Raw), p[2].String(),
				lo, bound(p[3]), bound(p[5]), hi), nil
		}
	case "union":
		if len(args) == 2 && args[1].IsArray() {
			label := name
			if args[0].Type != gjson.Null {
				label += " order " + compactRaw(args[0].Raw)
			}
			return label, args[1].Array()
		}
	case "distinct":
		if len(args) == 1 {
			return name, args
		}
	case "filter", "sort", "offset", "limit", "only":
		if len(args) == 2 {
			return name + " " + compactRaw(args[0].Raw), args[1:]
		}
	}
	// Unknown (a newer server): the name, the arguments that are not plan
	// nodes, and the children that are.
	label := name
	var kids []gjson.Result
	for _, x := range args {
		if x.IsArray() && len(x.Array()) > 0 && x.Array()[0].Type == gjson.String && strings.Contains(x.Array()[0].String(), "-") {
			kids = append(kids, x)
		} else {
			label += " " + compactRaw(x.Raw)
		}
	}
	return label, kids
}

// bound renders one end of an index range: the open ends the plan names
// "neg-inf" and "pos-inf" as -∞ and +∞ (as strings they would read like
// string values), any other as compact JSON.
func bound(b gjson.Result) string {
	switch b.Raw {
	case `"neg-inf"`:
		return "-∞"
	case `"pos-inf"`:
		return "+∞"
	}
	if b.IsArray() { // a composite key: ["Paris","neg-inf"] → ["Paris",-∞]
		parts := make([]string, 0, 2)
		for _, x := range b.Array() {
			parts = append(parts, bound(x))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return compactRaw(b.Raw)
}

func raws(rs []gjson.Result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = compactRaw(r.Raw)
	}
	return out
}

func compactRaw(raw string) string { return string(cliutil.CompactJSON([]byte(raw))) }
