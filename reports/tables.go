package reports

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/mouseauth/mouseauth/evaluate"
)

// NamedTable is a table of a run with a file-name stem (no extension) and a
// title for the HTML report and the Markdown file.
type NamedTable struct {
	Name  string // e.g. "summary", "users_rf-reference"
	Title string
	Table *Table
}

// Tables builds the run's tables, in report order:
//
//   - holdout (and holdout_<n> for more): a held-out evaluation's figures;
//     holdout_users, holdout_sessions (every session's score) and, over
//     several seeds, holdout_per_seed;
//   - summary: one row per result and window, mean and sd over users (over
//     several seeds: [SeedSummaryTable]), and per_seed, every seed's;
//   - differences: the paired comparisons of a multi-seed run, with the
//     published figure where the input is a published file;
//   - users_<result>: one row per user and window of each result (the first
//     seed's);
//   - skipped_<result>: the users a result left out, and why;
//   - sweeps: one row per sweep point (over seeds where run over several);
//   - thresholds: one row per window and threshold p, ascending;
//   - continuous, continuous_users: a continuous evaluation's figures
//     (tidy) and every seed's per-user rows; attacks, attack_targets,
//     attack_users: an attack evaluation's;
//   - inputs: the input files of the manifest with their SHA-256 and size.
//
// Numbers stay numbers (CSV and JSON keep full precision). A table whose part
// of the run is empty is left out, except inputs.
func Tables(run *evaluate.Run) []NamedTable {
	var out []NamedTable
	multi := IsMultiSeed(run)
	for i, h := range run.Holdouts {
		name := "holdout"
		if i > 0 {
			name = fmt.Sprintf("holdout_%d", i+1)
		}
		out = append(out, NamedTable{name, "Held-out evaluation: " + holdoutLabel(h), HoldoutSummaryTable(h)},
			NamedTable{name + "_users", "Held-out evaluation per user (seed " + fmt.Sprint(h.Seed) + ")", HoldoutUserTable(h)},
			NamedTable{name + "_sessions", "Held-out evaluation: every session's score (seed " + fmt.Sprint(h.Seed) + ")", HoldoutScoreTable(h)})
		if multi {
			out = append(out, NamedTable{name + "_per_seed", "Held-out evaluation per seed", holdoutPerSeedTable(run, i)})
		}
	}
	if len(run.Results) > 0 {
		if multi {
			out = append(out, NamedTable{"summary", "Summary over seeds " + seedsText(run.Seeds) + ": mean over users, its mean and sd over seeds, and the sd over users (mean over seeds), per window", SeedSummaryTable(run.Results)},
				NamedTable{"per_seed", "Per seed: mean and standard deviation over users, per window", perSeedTable(run, leadReport)})
		} else {
			out = append(out, NamedTable{"summary", "Summary: mean and standard deviation over users, per window", SummaryTable(run.Results)})
		}
	}
	if ds := AllDifferences(run); len(ds) > 0 {
		out = append(out, NamedTable{"differences", "Differences, " + noiseRule(len(run.Seeds)), DifferenceTable(ds)})
	}
	slugs := resultSlugs(run.Results)
	for i, r := range run.Results {
		if len(r.Users) > 0 {
			title := "Per-user results: " + resultLabel(r)
			if multi {
				title += fmt.Sprintf(" (seed %d)", r.Seed)
			}
			out = append(out, NamedTable{"users_" + slugs[i], title, UserTable(r)})
		}
		if len(r.Skipped) > 0 {
			out = append(out, NamedTable{"skipped_" + slugs[i], "Users left out: " + resultLabel(r), SkippedTable(r)})
		}
	}
	if len(run.Sweeps) > 0 {
		if multi {
			out = append(out, NamedTable{"sweeps", "Parameter sweeps over seeds " + seedsText(run.Seeds), seedSweepTable(run.Sweeps)})
		} else {
			out = append(out, NamedTable{"sweeps", "Parameter sweeps", SweepTable(run.Sweeps)})
		}
	}
	if len(run.Thresholds) > 0 {
		out = append(out, NamedTable{"thresholds", "Alarm thresholds", ThresholdTable(run.Thresholds)})
	}
	out = append(out, continuousTables(run)...)
	out = append(out, NamedTable{"inputs", "Input files", InputTable(run.Manifest.Inputs)})
	return out
}

// SummaryTable has one row per result and window (ascending): classifier,
// protocol, aggregate, params, window, users, mean_auc, sd_auc, mean_eer,
// sd_eer, mean_accuracy. users is [evaluate.WindowSummary.Users], or the
// number of per-user results at that window when the run does not say.
func SummaryTable(results []evaluate.Result) *Table {
	t := &Table{Columns: []string{"classifier", "protocol", "aggregate", "params", "window", "users",
		"mean_auc", "sd_auc", "mean_eer", "sd_eer", "mean_accuracy"}}
	for _, r := range results {
		for _, s := range sortedSummary(r.Summary) {
			n := s.Users
			if n == 0 {
				n = len(usersAt(r, s.Window))
			}
			t.Add(r.Classifier, r.Protocol, r.Aggregate, paramsString(r.Params), s.Window, n,
				s.MeanAUC, s.SDAUC, s.MeanEER, s.SDEER, s.MeanAccuracy)
		}
	}
	return t
}

// UserTable has one row per user result of r, by window then in run order:
// window, user, auc, eer, accuracy, genuine, impostor, train_seconds.
func UserTable(r evaluate.Result) *Table {
	t := &Table{Columns: []string{"window", "user", "auc", "eer", "accuracy", "genuine", "impostor", "train_seconds"}}
	us := append([]evaluate.UserResult(nil), r.Users...)
	sort.SliceStable(us, func(i, j int) bool { return us[i].Window < us[j].Window })
	for _, u := range us {
		t.Add(u.Window, u.User, u.AUC, u.EER, u.Accuracy, u.Genuine, u.Impostor, u.TrainSecs)
	}
	return t
}

// SkippedTable lists the users a result left out: user, window (empty for
// all windows), reason.
func SkippedTable(r evaluate.Result) *Table {
	t := &Table{Columns: []string{"user", "window", "reason"}}
	for _, s := range r.Skipped {
		t.Add(s.User, optInt(s.Window), s.Reason)
	}
	return t
}

// SweepTable has one row per sweep point, grouped by param (first
// appearance), by ascending value, then trees, then window: param, value,
// trees, window, mean_auc, sd_auc, mean_eer, seconds. trees and window are
// empty (JSON null) where the run does not record them.
func SweepTable(sw []evaluate.SweepPoint) *Table {
	t := &Table{Columns: []string{"param", "value", "trees", "window", "mean_auc", "sd_auc", "mean_eer", "seconds"}}
	for _, s := range sortedSweep(sw) {
		t.Add(s.Param, s.Value, optInt(s.Trees), optInt(s.Window), s.MeanAUC, s.SDAUC, s.MeanEER, s.Seconds)
	}
	return t
}

// ThresholdTable has one row per threshold, by window then ascending p:
// window, threshold, false_alarm_rate, miss_rate, impostor_actions_to_alarm,
// genuine_actions_to_false_alarm, impostor_detected, genuine_alarmed.
func ThresholdTable(ts []evaluate.ThresholdPoint) *Table {
	t := &Table{Columns: []string{"window", "threshold", "false_alarm_rate", "miss_rate",
		"impostor_actions_to_alarm", "genuine_actions_to_false_alarm", "impostor_detected", "genuine_alarmed"}}
	for _, g := range thresholdGroups(ts) {
		for _, p := range g.pts {
			t.Add(optInt(p.Window), p.Threshold, p.FalseAlarmRate, p.MissRate,
				p.ImpostorActionsToAlarm, p.GenuineActionsToFalseAlarm, p.ImpostorDetected, p.GenuineAlarmed)
		}
	}
	return t
}

// optInt is nil (an empty cell, JSON null) for 0, meaning "not recorded".
func optInt(v int) any {
	if v == 0 {
		return nil
	}
	return v
}

// InputTable lists the input files of a run: path, sha256, bytes.
func InputTable(in []evaluate.Input) *Table {
	t := &Table{Columns: []string{"path", "sha256", "bytes"}}
	for _, f := range in {
		t.Add(f.Path, f.SHA256, f.Bytes)
	}
	return t
}

// Display returns a copy of t for people (Markdown, HTML): each column pair
// "mean_X", "sd_X" becomes one column "X (mean ± sd)" of strings with four
// decimals. A float column of whole numbers becomes integers; other cells
// are unchanged.
func Display(t *Table) *Table {
	type col struct {
		name    string
		src, sd int // sd < 0: plain column
	}
	var cols []col
	for i := 0; i < len(t.Columns); i++ {
		c := t.Columns[i]
		if x, ok := strings.CutPrefix(c, "mean_"); ok && i+1 < len(t.Columns) && t.Columns[i+1] == "sd_"+x {
			cols = append(cols, col{x + " (mean ± sd)", i, i + 1})
			i++
			continue
		}
		cols = append(cols, col{c, i, -1})
	}
	// integral[i]: every cell of column i is a whole float (tree counts).
	integral := make([]bool, len(t.Columns))
	for i := range t.Columns {
		integral[i] = len(t.Rows) > 0
		for _, r := range t.Rows {
			f, ok := r[i].(float64)
			if !ok || f != math.Trunc(f) || math.Abs(f) >= 1e15 {
				integral[i] = false
				break
			}
		}
	}
	out := &Table{}
	for _, c := range cols {
		out.Columns = append(out.Columns, c.name)
	}
	for _, r := range t.Rows {
		row := make([]any, len(cols))
		for j, c := range cols {
			if c.sd < 0 {
				row[j] = r[c.src]
				if f, ok := row[j].(float64); ok && integral[c.src] {
					row[j] = int64(f) // a tree count reads "100", not "100.0000"
				}
				continue
			}
			row[j] = formatCell(r[c.src]) + " ± " + formatCell(r[c.sd])
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}

// formatCell formats a cell for people: floats with four decimals,
// non-finite ones as "n/a".
func formatCell(c any) string {
	switch v := c.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "n/a"
		}
		return strconv.FormatFloat(v, 'f', 4, 64)
	default:
		return fmt.Sprint(v)
	}
}

// paramsString renders classifier parameters as "k=v k=v", keys sorted.
func paramsString(p map[string]any) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%v", k, p[k])
	}
	return strings.Join(parts, " ")
}
