package cliutil

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"
	"github.com/spf13/cobra"
	"github.com/tidwall/gjson"
	"golang.org/x/term"
)

// Terminal detection. A writer or reader is a terminal when it says so
// (tests pass values with an IsTerminal method) or when it is a file on a
// terminal device.
type terminalReporter interface{ IsTerminal() bool }

func IsTerminal(x any) bool {
	switch v := x.(type) {
	case terminalReporter:
		return v.IsTerminal()
	case interface{ Fd() uintptr }:
		return term.IsTerminal(int(v.Fd()))
	}
	return false
}

// TerminalWidth returns the width of the terminal w writes to, or 0.
func TerminalWidth(w any) int {
	switch v := w.(type) {
	case interface{ TerminalWidth() int }:
		return v.TerminalWidth()
	case interface{ Fd() uintptr }:
		if wd, _, err := term.GetSize(int(v.Fd())); err == nil {
			return wd
		}
	}
	return 0
}

// Output renders a command's result: tables and plain sentences for a
// person at a terminal, JSON for programs (--json, or stdout not a
// terminal).
type output struct {
	w      io.Writer
	JSON   bool // JSON instead of tables
	indent bool // indent the JSON (--json on a terminal)
}

func NewOutput(w io.Writer, asJSON bool) *output {
	tty := IsTerminal(w)
	return &output{w: w, JSON: asJSON || !tty, indent: tty}
}

// addJSONFlag registers --json on cmd.
func addJSONFlag(cmd *cobra.Command, asJSON *bool) {
	cmd.Flags().BoolVar(asJSON, "json", false, "print JSON (the default when stdout is not a terminal)")
}

// Emit writes v as JSON: a json.RawMessage as it is (re-indented on a
// terminal), anything else marshaled.
func (o *output) Emit(v any) error {
	raw, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return err
		}
	}
	if o.indent {
		var buf bytes.Buffer
		if json.Indent(&buf, raw, "", "  ") == nil {
			raw = buf.Bytes()
		}
	}
	_, err := fmt.Fprintf(o.w, "%s\n", raw)
	return err
}

// Say writes a sentence for a person (table mode only).
func (o *output) Say(format string, args ...any) error {
	_, err := fmt.Fprintf(o.w, format+"\n", args...)
	return err
}

// Result renders the value of a query: records as a table, an object as
// a key/value table, a scalar as itself. only names the columns of
// projections (the query's "only", if any).
func (o *output) Result(raw json.RawMessage, only []string) error {
	if o.JSON {
		return o.Emit(raw)
	}
	_, err := io.WriteString(o.w, RenderValue(raw, only))
	return err
}

// RenderValue is result's table mode.
func RenderValue(raw json.RawMessage, only []string) string {
	v := gjson.ParseBytes(raw)
	switch {
	case v.IsArray():
		return renderArray(v, only)
	case v.IsObject():
		var rows [][]string
		v.ForEach(func(k, val gjson.Result) bool {
			rows = append(rows, []string{k.String(), cell(val.Raw)})
			return true
		})
		return RenderTable([]string{"key", "value"}, rows, "")
	}
	return cell(v.Raw) + "\n"
}

// renderArray renders a list of results: objects as records (one column
// per attribute, the union over the records, id first), arrays of the
// length of only as projections, anything else in one column.
func renderArray(v gjson.Result, only []string) string {
	items := v.Array()
	if len(items) == 0 {
		return "(no results)\n"
	}
	allObjects, allTuples := true, len(only) > 1
	for _, it := range items {
		allObjects = allObjects && it.IsObject()
		allTuples = allTuples && it.IsArray() && len(it.Array()) == len(only)
	}
	footer := Plural(len(items), "row", "rows")
	switch {
	case allObjects:
		return renderRecords(items, footer)
	case allTuples:
		rows := make([][]string, len(items))
		for i, it := range items {
			for _, x := range it.Array() {
				rows[i] = append(rows[i], cell(x.Raw))
			}
		}
		return RenderTable(only, rows, footer)
	}
	header := "value"
	if len(only) == 1 {
		header = only[0]
	}
	rows := make([][]string, len(items))
	for i, it := range items {
		rows[i] = []string{cell(it.Raw)}
	}
	return RenderTable([]string{header}, rows, footer)
}

// renderRecords renders records as rows; a missing attribute is an empty
// cell, a null one "null".
func renderRecords(items []gjson.Result, footer string) string {
	col := map[string]int{"id": 0}
	header := []string{"id"}
	values := make([]map[int]string, len(items))
	for i, it := range items {
		values[i] = map[int]string{}
		it.ForEach(func(k, val gjson.Result) bool {
			name := k.String()
			j, ok := col[name]
			if !ok {
				j = len(header)
				col[name] = j
				header = append(header, name)
			}
			values[i][j] = cell(val.Raw)
			return true
		})
	}
	rows := make([][]string, len(items))
	for i := range items {
		rows[i] = make([]string, len(header))
		for j, s := range values[i] {
			rows[i][j] = s
		}
	}
	return RenderTable(header, rows, footer)
}

// maxCell is the most characters a table cell shows.
const maxCell = 60

// cell renders one JSON value for a table: a string without its quotes
// (control characters escaped), anything else as compact JSON.
func cell(raw string) string {
	raw = strings.TrimSpace(raw)
	var s string
	switch {
	case raw == "":
		return ""
	case raw[0] == '"':
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			s = raw
		}
		s = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
	case raw[0] == '{' || raw[0] == '[':
		var buf bytes.Buffer
		if json.Compact(&buf, []byte(raw)) == nil {
			s = buf.String()
		} else {
			s = raw
		}
	default:
		s = raw
	}
	if utf8.RuneCountInString(s) > maxCell {
		r := []rune(s)
		s = string(r[:maxCell-1]) + "…"
	}
	return s
}

// RenderTable draws a table with a header row, numbers aligned right,
// and an optional footer line under it.
func RenderTable(header []string, rows [][]string, footer string) string {
	t := table.NewWriter()
	style := table.StyleLight
	style.Format.Header = text.FormatDefault
	style.Format.Footer = text.FormatDefault
	t.SetStyle(style)
	hr := make(table.Row, len(header))
	for i, h := range header {
		hr[i] = h
	}
	t.AppendHeader(hr)
	numeric := make([]bool, len(header))
	for j := range header {
		numeric[j] = len(rows) > 0
		for _, r := range rows {
			if j < len(r) && r[j] != "" && !isNumber(r[j]) {
				numeric[j] = false
				break
			}
		}
	}
	var cfg []table.ColumnConfig
	for j, num := range numeric {
		if num {
			cfg = append(cfg, table.ColumnConfig{Number: j + 1, Align: text.AlignRight})
		}
	}
	t.SetColumnConfigs(cfg)
	for _, r := range rows {
		tr := make(table.Row, len(r))
		for i, c := range r {
			tr[i] = c
		}
		t.AppendRow(tr)
	}
	out := t.Render() + "\n"
	if footer != "" {
		out += "(" + footer + ")\n"
	}
	return out
}

func isNumber(s string) bool {
	if s == "" || !(s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
		return false
	}
	return gjson.Valid(s) && gjson.Parse(s).Type == gjson.Number
}

func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// OnlyNames returns the attribute names of a select's "only" (nil if it
// has none), to name the columns of its projections.
func OnlyNames(q []byte) []string {
	v := gjson.GetBytes(q, "2.only")
	switch {
	case gjson.GetBytes(q, "0").String() != "select":
		return nil
	case v.Type == gjson.String:
		return []string{v.String()}
	case v.IsArray():
		var names []string
		for _, x := range v.Array() {
			names = append(names, x.String())
		}
		return names
	}
	return nil
}

// CompactJSON returns valid JSON without insignificant white space.
func CompactJSON(raw []byte) json.RawMessage {
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return raw
	}
	return buf.Bytes()
}

// ms returns d in milliseconds.
func Millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func Plural64(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Thousands(n) + " " + many
}

// Thousands formats n with Thousands separators: 1,234,567.
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
