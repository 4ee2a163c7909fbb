package reports

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/reports/reportstest"
)

// TestMarkdownTablesEscapeUserIDs: user ids were written raw into the
// Markdown tables of a report, so a user enrolled as an HTML tag, a link
// or emphasis became markup wherever the table was rendered. Every cell is
// now text: the tables hold the ids escaped, and a Markdown reader shows
// them as they are.
func TestMarkdownTablesEscapeUserIDs(t *testing.T) {
	t.Parallel()
	hostile := map[string]string{
		"user7":  `<img src=x onerror=alert(1)>`,
		"user9":  `[click](javascript:alert(2))`,
		"user12": "**bold** `code` ~~gone~~ _em_ a|b\\",
	}
	run := reportstest.Run()
	for r := range run.Results {
		for i, u := range run.Results[r].Users {
			if h, ok := hostile[u.User]; ok {
				run.Results[r].Users[i].User = h
			}
		}
	}
	// The tables as Write writes them (tables/NAME.md), without the figures.
	dir := t.TempDir()
	if _, err := WriteFiles(context.Background(), dir, Tables(run), nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "tables", "users_rf-reference.md"))
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	for _, raw := range []string{"<img", "[click](javascript", "**bold**", "`code`", "~~gone~~", "_em_", "a|b"} {
		if strings.Contains(md, raw) {
			t.Errorf("the Markdown table holds %q raw:\n%s", raw, md)
		}
	}
	for _, want := range []string{`&lt;img src=x onerror=alert(1)&gt;`, `\[click\](javascript:alert(2))`,
		"\\*\\*bold\\*\\* \\`code\\` \\~\\~gone\\~\\~ \\_em\\_ a\\|b\\\\"} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown table does not hold %q:\n%s", want, md)
		}
	}
	// Each row still has its cells: nothing in an id split the table.
	header := -1
	for _, line := range strings.Split(strings.TrimSpace(md), "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|")
		if header < 0 {
			header = cells
		}
		if cells != header {
			t.Errorf("row %q has %d separators, the header %d", line, cells, header)
		}
	}
	var tbl bytes.Buffer
	if err := (&Table{Columns: []string{"user"}, Rows: [][]any{{"x\r\ny"}}}).WriteMarkdown(&tbl); err != nil || !strings.Contains(tbl.String(), "| x<br>y |") {
		t.Errorf("a line break: %q, %v", tbl.String(), err)
	}
}
