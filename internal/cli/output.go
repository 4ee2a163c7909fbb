package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// Output formats accepted by --output.
const (
	FormatTable = "table"
	FormatCSV   = "csv"
	FormatJSON  = "json"
)

// AddOutputFlag binds --output (table|csv|json, default table) to *dst.
func AddOutputFlag(cmd *cobra.Command, dst *string) {
	cmd.Flags().StringVarP(dst, "output", "o", FormatTable, "result format: table, csv or json")
}

// ValidateOutput returns a *FlagError unless format is a known output format.
func ValidateOutput(format string) error {
	switch format {
	case FormatTable, FormatCSV, FormatJSON:
		return nil
	}
	return FlagErrorf("--output must be table, csv or json, not %q", format)
}

// Table is a result table. Cells are strings, integers or floats; JSON keeps
// numbers as numbers.
type Table struct {
	Columns []string
	Rows    [][]any
}

// Add appends a row; it panics if the row has the wrong number of cells
// (a programmer error).
func (t *Table) Add(cells ...any) {
	if len(cells) != len(t.Columns) {
		panic(fmt.Sprintf("cli.Table.Add: %d cells for %d columns", len(cells), len(t.Columns)))
	}
	t.Rows = append(t.Rows, cells)
}

// Render writes t to w in the given format.
func Render(w io.Writer, format string, t *Table) error {
	switch format {
	case FormatCSV:
		cw := csv.NewWriter(w)
		if err := cw.Write(t.Columns); err != nil {
			return err
		}
		for _, r := range t.Rows {
			rec := make([]string, len(r))
			for i, c := range r {
				rec[i] = cellString(c, false)
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	case FormatJSON:
		out := make([]map[string]any, 0, len(t.Rows))
		for _, r := range t.Rows {
			m := make(map[string]any, len(r))
			for i, c := range r {
				if f, ok := c.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
					c = nil // JSON has no NaN; null says "not defined"
				}
				m[t.Columns[i]] = c
			}
			out = append(out, m)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	default:
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, strings.Join(t.Columns, "\t")+"\t")
		for _, r := range t.Rows {
			cells := make([]string, len(r))
			for i, c := range r {
				cells[i] = cellString(c, true)
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
		}
		return tw.Flush()
	}
}

func cellString(c any, human bool) string {
	switch v := c.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		if human {
			return strconv.FormatFloat(v, 'f', 4, 64)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	case float32:
		return cellString(float64(v), human)
	default:
		return fmt.Sprint(v)
	}
}
