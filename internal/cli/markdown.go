package cli

import (
	"io"
	"strings"
)

// FormatMarkdown names the Markdown table format. [Render] does not know it
// (its default stays the aligned text table); call [RenderMarkdown].
const FormatMarkdown = "markdown"

// RenderMarkdown writes t to w as a GitHub-flavoured Markdown pipe table.
// Floats get four decimals, as in the text table; numeric columns are
// right-aligned. Pipes and newlines inside cells are escaped so a cell never
// breaks the table.
func RenderMarkdown(w io.Writer, t *Table) error {
	var b strings.Builder
	b.WriteString("|")
	for _, c := range t.Columns {
		b.WriteString(" " + markdownCell(c) + " |")
	}
	b.WriteString("\n|")
	for i := range t.Columns {
		if numericColumn(t, i) {
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
func numericColumn(t *Table, i int) bool {
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

func markdownCell(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\r\n", "<br>")
	s = strings.ReplaceAll(s, "\n", "<br>")
	return s
}
