package cli

import (
	"encoding/json"
	"io"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/table"
)

// Output formats accepted by --output.
const (
	FormatTable = "table"
	FormatCSV   = "csv"
	FormatJSON  = "json"
)

// Formats are the --output formats, for help and completion.
var Formats = []string{FormatTable, FormatCSV, FormatJSON}

// AddOutputFlag binds -o/--output (table|csv|json, default table) to *dst,
// with completion of its values.
func AddOutputFlag(cmd *cobra.Command, dst *string) {
	cmd.Flags().StringVarP(dst, "output", "o", FormatTable, "result format: table, csv or json")
	CompleteValues(cmd, "output", FormatTable+"\taligned text for people", FormatCSV+"\tCSV with a header row", FormatJSON+"\tJSON, full precision")
}

// ValidateOutput returns a *FlagError unless format is a known output format.
func ValidateOutput(format string) error {
	switch format {
	case FormatTable, FormatCSV, FormatJSON:
		return nil
	}
	return FlagErrorf("--output must be table, csv or json, not %q", format)
}

// Table is a result table: the packages build them ([table.Table]), the
// commands print them with [Render].
type Table = table.Table

// Render writes t to w in the given --output format: aligned text for
// people (table, the default), CSV or JSON.
func Render(w io.Writer, format string, t *Table) error {
	switch format {
	case FormatCSV:
		return t.WriteCSV(w)
	case FormatJSON:
		return t.WriteJSON(w)
	default:
		return t.WriteText(w)
	}
}

// WriteJSON writes v as indented JSON and a newline, without HTML escaping
// (jq and people see < > & as they are), for results that are one object
// rather than a table.
func WriteJSON(w io.Writer, v any) error {
	e := json.NewEncoder(w)
	e.SetEscapeHTML(false)
	e.SetIndent("", "  ")
	return e.Encode(v)
}

// RenderSections writes secs in the --output format: each visible
// section's table under its title (table), one JSON object with an array
// per section (json), or the first section, the primary table (csv).
func RenderSections(w io.Writer, format string, secs table.Sections) error {
	switch format {
	case FormatCSV:
		return secs.WriteCSV(w)
	case FormatJSON:
		return secs.WriteJSON(w)
	default:
		return secs.WriteText(w)
	}
}
