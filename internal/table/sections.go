package table

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
)

// Section is one named table of a command's output.
type Section struct {
	Name  string // the JSON key, e.g. "summary", "users"
	Title string // the heading of the text output
	Table *Table
	// Hidden sections are left out of the text output (too long for a
	// terminal: every seed's per-user rows, every session's score); JSON
	// keeps them.
	Hidden bool
	// TextColumns, if set, are the columns the text output shows (through
	// [Display]: a figure and its interval in one column); CSV and JSON
	// keep every column.
	TextColumns []string
}

// Sections are the tables a command prints, kept apart so a summary is
// never mixed with the rows it summarises: text prints each visible
// section under its title (a figure and its interval in one column), JSON
// one object with an array of rows per section (in order), CSV the first
// section, the command's primary table (every section is a CSV file of its
// own in the report's tables/ folder). Numbers keep full precision in CSV
// and JSON and are rounded in text.
type Sections []Section

// Primary returns the first section's table (what CSV prints).
func (s Sections) Primary() *Table {
	if len(s) == 0 {
		return &Table{}
	}
	return s[0].Table
}

// Find returns the section named name, or nil.
func (s Sections) Find(name string) *Section {
	for i := range s {
		if s[i].Name == name {
			return &s[i]
		}
	}
	return nil
}

// WriteText writes each visible section's title and table, a blank line
// between sections.
func (s Sections) WriteText(w io.Writer) error {
	first := true
	for _, sec := range s {
		if sec.Hidden {
			continue
		}
		if !first {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		first = false
		if sec.Title != "" {
			if _, err := fmt.Fprintf(w, "%s\n", sec.Title); err != nil {
				return err
			}
		}
		t := sec.Table
		if len(sec.TextColumns) > 0 {
			t = t.Select(sec.TextColumns...)
		}
		if err := Display(t).WriteText(w); err != nil {
			return err
		}
	}
	return nil
}

// WriteCSV writes the primary table as CSV.
func (s Sections) WriteCSV(w io.Writer) error { return s.Primary().WriteCSV(w) }

// WriteJSON writes one indented JSON object with a key per section, in
// order, each an array of row objects as [Table.WriteJSON] writes them.
func (s Sections) WriteJSON(w io.Writer) error {
	var b bytes.Buffer
	b.WriteString("{")
	for i, sec := range s {
		if i > 0 {
			b.WriteString(",")
		}
		key, _ := json.Marshal(sec.Name)
		b.WriteString("\n  ")
		b.Write(key)
		b.WriteString(": ")
		rows, err := json.MarshalIndent(sec.Table.rowObjects(), "  ", "  ")
		if err != nil {
			return fmt.Errorf("section %s: %w", sec.Name, err)
		}
		b.Write(rows)
	}
	b.WriteString("\n}\n")
	_, err := w.Write(b.Bytes())
	return err
}

// rowObjects is t's rows as objects keyed by column; NaN and Inf become
// nil (JSON has neither).
func (t *Table) rowObjects() []map[string]any {
	out := make([]map[string]any, 0, len(t.Rows))
	for _, r := range t.Rows {
		m := make(map[string]any, len(r))
		for i, c := range r {
			if f, ok := c.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
				c = nil
			}
			m[t.Columns[i]] = c
		}
		out = append(out, m)
	}
	return out
}
