package reports

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Table is a result table: named columns and rows of cells. Cells are
// strings, integers, floats or nil (an empty cell, JSON null); JSON keeps
// numbers as numbers. Every table of a report is one, and so is every table
// a command prints (internal/cli renders it for --output).
type Table struct {
	Columns []string
	Rows    [][]any
}

// Add appends a row; it panics if the row has the wrong number of cells
// (a programmer error).
func (t *Table) Add(cells ...any) {
	if len(cells) != len(t.Columns) {
		panic(fmt.Sprintf("reports.Table.Add: %d cells for %d columns", len(cells), len(t.Columns)))
	}
	t.Rows = append(t.Rows, cells)
}

// Select returns a table of the named columns of t, in the order named; it
// panics on a name t does not have (a programmer error). Rows share no
// slices with t.
func (t *Table) Select(names ...string) *Table {
	idx := make([]int, len(names))
	for i, n := range names {
		if idx[i] = slices.Index(t.Columns, n); idx[i] < 0 {
			panic(fmt.Sprintf("reports.Table.Select: no column %q in %v", n, t.Columns))
		}
	}
	out := &Table{Columns: slices.Clone(names), Rows: make([][]any, len(t.Rows))}
	for r, row := range t.Rows {
		cells := make([]any, len(idx))
		for i, j := range idx {
			cells[i] = row[j]
		}
		out.Rows[r] = cells
	}
	return out
}

// WriteCSV writes t as CSV with a header row; floats in their shortest
// round-trip form.
func (t *Table) WriteCSV(w io.Writer) error {
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
}

// WriteJSON writes t as an indented JSON array of objects, one per row,
// keyed by column. NaN and Inf become null (JSON has neither).
func (t *Table) WriteJSON(w io.Writer) error {
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
}

// WriteText writes t as right-aligned text columns for people; floats get
// four decimals.
func (t *Table) WriteText(w io.Writer) error {
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

// WriteMarkdown writes t as a GitHub-flavoured Markdown pipe table. Floats
// get four decimals, as in the text table; numeric columns are
// right-aligned. A cell is text, never markup: pipes, newlines, Markdown's
// inline syntax and HTML are escaped (markdownCell), so a cell (a user id
// chosen by whoever enrolled it) never breaks the table, links, formats or
// runs a script where the Markdown is rendered.
func (t *Table) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("|")
	for _, c := range t.Columns {
		b.WriteString(" " + markdownCell(c) + " |")
	}
	b.WriteString("\n|")
	for i := range t.Columns {
		if t.numericColumn(i) {
			b.WriteString(" ---: |")
		} else {
			b.WriteString(" --- |")
		}
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		b.WriteString("|")
		for _, c := range r {
			b.WriteString(" " + markdownCell(cellString(c, true)) + " |")
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// numericColumn reports whether every non-nil cell of column i is a number.
func (t *Table) numericColumn(i int) bool {
	seen := false
	for _, r := range t.Rows {
		switch r[i].(type) {
		case nil:
		case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
			seen = true
		default:
			return false
		}
	}
	return seen
}

// markdownEscaper escapes what Markdown (CommonMark and GFM tables) would
// read as syntax in a cell: a backslash before the ASCII punctuation of
// inline markup (code, emphasis, links and images, strikethrough), the
// pipe that ends a cell, HTML's < > & as entities, and line breaks as the
// one tag we write.
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "~", `\~`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;",
	"\r\n", "<br>", "\n", "<br>", "\r", "<br>")

func markdownCell(s string) string { return markdownEscaper.Replace(s) }

// cellString formats a cell: for people (human) floats get four decimals,
// otherwise their shortest round-trip form.
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
