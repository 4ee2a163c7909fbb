package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/mouseauth/mouseauth/evaluate"
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

// summaryText are the summary columns the text output shows.
var summaryText = []string{"window", "users", "seeds", "mean_auc", "mean_auc_lo", "mean_auc_hi", "mean_eer", "mean_eer_lo", "mean_eer_hi",
	"pooled_eer", "pooled_eer_lo", "pooled_eer_hi", "fnmr_at_fmr_1pct", "fnmr_at_fmr_1pct_lo", "fnmr_at_fmr_1pct_hi", "hter", "hter_lo", "hter_hi", "notes"}

// CommandOutput is what `mouseauth evaluate` prints for a run of mode, as
// [Sections] (text: the visible sections under their titles; JSON: an
// object of arrays; CSV: the first section). The sections and their
// columns, named as the report's tables ([Tables]):
//
//   - run: summary (CSV; [SummaryTable]: one row per window), users
//     ([UserTable]), per_seed and per_seed_users (hidden in text),
//     differences (against the published figure, when the input is a
//     published file), skipped;
//   - compare: summary (CSV; one row per result and window), differences
//     ([DifferenceTable]), rankings ([RankingTable]), per_seed and users
//     (hidden in text);
//   - sweep: summary (CSV; [SweepTable]: one row per point), rankings;
//   - threshold: thresholds (CSV; [ThresholdTable]), summary;
//   - holdout: summary (CSV; [HoldoutTable]: one row), users
//     ([HoldoutUserTable]), per_seed, per_seed_users and sessions (hidden
//     in text).
func CommandOutput(mode evaluate.Mode, run *evaluate.Run) Sections {
	var out Sections
	seeds := ""
	if IsMultiSeed(run) {
		seeds = fmt.Sprintf(" over seeds %s", seedsText(run.Seeds))
	}
	ci := " (95% intervals: bootstrap over users" + map[bool]string{true: ", seeds folded in", false: ""}[IsMultiSeed(run)] + ")"
	diffs := func(kinds ...string) {
		var ds []evaluate.Difference
		for _, d := range AllDifferences(run) {
			if slices.Contains(kinds, d.Kind) {
				ds = append(ds, d)
			}
		}
		if len(ds) > 0 {
			out = append(out, Section{Name: "differences", Title: "Paired differences B − A of the mean per-user AUC: interval over users, Wilcoxon signed-rank p, DeLong on the pooled ROCs",
				Table: DifferenceTable(ds), TextColumns: []string{"a", "b", "window", "diff", "diff_lo", "diff_hi", "wilcoxon_p", "delong_p", "na"}})
		}
	}
	rankings := func(text ...string) {
		if len(run.Rankings) > 0 {
			out = append(out, Section{Name: "rankings", Title: "Best by mean per-user AUC, and those indistinguishable from it (paired interval includes 0)", Table: RankingTable(run.Rankings),
				TextColumns: text})
		}
	}
	summary := func(title string, text []string) Section {
		return Section{Name: "summary", Title: title + seeds + ci, Table: SummaryTable(run.Results), TextColumns: text}
	}
	switch mode {
	case evaluate.ModeHoldout:
		out = append(out, Section{Name: "summary", Title: "Held-out evaluation: pooled figures" + seeds + " (95% intervals: bootstrap over claimed users)", Table: HoldoutTable(run.Holdouts),
			TextColumns: []string{"classifier", "aggregate", "users", "session_auc", "session_auc_lo", "session_auc_hi", "session_eer", "session_eer_lo", "session_eer_hi", "action_auc", "action_auc_lo", "action_auc_hi"}},
			Section{Name: "users", Title: "Per user (the sessions claiming the user; the first seed)", Table: HoldoutUserTable(run.Holdouts),
				TextColumns: []string{"user", "genuine_sessions", "impostor_sessions", "session_auc", "session_eer", "action_auc", "na"}},
			Section{Name: "per_seed", Title: "Per seed", Table: holdoutPerSeedTable(run), Hidden: true},
			Section{Name: "per_seed_users", Title: "Per seed and user", Table: holdoutPerSeedUserTable(run), Hidden: true},
			Section{Name: "sessions", Title: "Per session", Table: HoldoutScoreTable(run.Holdouts), Hidden: true})
		return out
	case evaluate.ModeThreshold:
		out = append(out, Section{Name: "thresholds", Title: "Thresholds" + seeds + ": pooled FMR and FNMR (chosen on these scores)", Table: ThresholdTable(run),
			TextColumns: []string{"window", "rule", "target", "threshold", "fmr", "fnmr", "impostor_actions_to_rejection", "genuine_actions_to_rejection"}},
			summary("Summary", summaryText))
		return out
	case evaluate.ModeSweep:
		out = append(out, Section{Name: "summary", Title: "Sweep" + seeds + ci, Table: SweepTable(run),
			TextColumns: []string{"trees", "window", "mean_auc", "mean_auc_lo", "mean_auc_hi", "mean_eer", "mean_eer_lo", "mean_eer_hi", "best", "ties_best", "seconds"}})
		rankings("best", "distinct", "tied") // the ties: the summary's ties_best column
		return out
	case evaluate.ModeCompare:
		out = append(out, summary("Comparison", append([]string{"classifier", "preset"}, summaryText...)))
		diffs("compare", "published")
		rankings("window", "best", "distinct", "ties")
		out = append(out, Section{Name: "per_seed", Title: "Per seed", Table: PerSeedTable(run), Hidden: true},
			Section{Name: "users", Title: "Per user (the first seed)", Table: UserTable(run.Results), Hidden: true})
		return out
	}
	out = append(out, summary("Summary", summaryText),
		Section{Name: "users", Title: "Per user (the first seed)", Table: UserTable(run.Results),
			TextColumns: []string{"window", "user", "auc", "eer", "genuine", "impostor"}, Hidden: IsMultiSeed(run)},
		Section{Name: "per_seed", Title: "Per seed", Table: PerSeedTable(run), Hidden: true},
		Section{Name: "per_seed_users", Title: "Per seed and user", Table: PerSeedUserTable(run), Hidden: true})
	diffs("published")
	if t := SkippedTable(run.Results); len(t.Rows) > 0 {
		out = append(out, Section{Name: "skipped", Title: "Users left out", Table: t, TextColumns: []string{"user", "window", "reason"}})
	}
	return out
}
