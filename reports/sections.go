package reports

import (
	"fmt"
	"slices"

	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/table"
)

// summaryText are the summary columns the text output shows.
var summaryText = []string{"window", "users", "seeds", "mean_auc", "mean_auc_lo", "mean_auc_hi", "mean_eer", "mean_eer_lo", "mean_eer_hi",
	"pooled_eer", "pooled_eer_lo", "pooled_eer_hi", "fnmr_at_fmr_1pct", "fnmr_at_fmr_1pct_lo", "fnmr_at_fmr_1pct_hi", "hter", "hter_lo", "hter_hi", "notes"}

// CommandOutput is what `mouseauth evaluate` prints for a run of mode, as
// [table.Sections] (text: the visible sections under their titles; JSON: an
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
func CommandOutput(mode evaluate.Mode, run *evaluate.Run) table.Sections {
	var out table.Sections
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
			out = append(out, table.Section{Name: "differences", Title: "Paired differences B − A of the mean per-user AUC: interval over users, Wilcoxon signed-rank p, DeLong on the pooled ROCs",
				Table: DifferenceTable(ds), TextColumns: []string{"a", "b", "window", "diff", "diff_lo", "diff_hi", "wilcoxon_p", "delong_p", "na"}})
		}
	}
	rankings := func(text ...string) {
		if len(run.Rankings) > 0 {
			out = append(out, table.Section{Name: "rankings", Title: "Best by mean per-user AUC, and those indistinguishable from it (paired interval includes 0)", Table: RankingTable(run.Rankings),
				TextColumns: text})
		}
	}
	summary := func(title string, text []string) table.Section {
		return table.Section{Name: "summary", Title: title + seeds + ci, Table: SummaryTable(run.Results), TextColumns: text}
	}
	switch mode {
	case evaluate.ModeHoldout:
		out = append(out, table.Section{Name: "summary", Title: "Held-out evaluation: pooled figures" + seeds + " (95% intervals: bootstrap over claimed users)", Table: HoldoutTable(run.Holdouts),
			TextColumns: []string{"classifier", "aggregate", "users", "session_auc", "session_auc_lo", "session_auc_hi", "session_eer", "session_eer_lo", "session_eer_hi", "action_auc", "action_auc_lo", "action_auc_hi"}},
			table.Section{Name: "users", Title: "Per user (the sessions claiming the user; the first seed)", Table: HoldoutUserTable(run.Holdouts),
				TextColumns: []string{"user", "genuine_sessions", "impostor_sessions", "session_auc", "session_eer", "action_auc", "na"}},
			table.Section{Name: "per_seed", Title: "Per seed", Table: holdoutPerSeedTable(run), Hidden: true},
			table.Section{Name: "per_seed_users", Title: "Per seed and user", Table: holdoutPerSeedUserTable(run), Hidden: true},
			table.Section{Name: "sessions", Title: "Per session", Table: HoldoutScoreTable(run.Holdouts), Hidden: true})
		return out
	case evaluate.ModeThreshold:
		out = append(out, table.Section{Name: "thresholds", Title: "Thresholds" + seeds + ": pooled FMR and FNMR (chosen on these scores)", Table: ThresholdTable(run),
			TextColumns: []string{"window", "rule", "target", "threshold", "fmr", "fnmr", "impostor_actions_to_rejection", "genuine_actions_to_rejection"}},
			summary("Summary", summaryText))
		return out
	case evaluate.ModeSweep:
		out = append(out, table.Section{Name: "summary", Title: "Sweep" + seeds + ci, Table: SweepTable(run),
			TextColumns: []string{"trees", "window", "mean_auc", "mean_auc_lo", "mean_auc_hi", "mean_eer", "mean_eer_lo", "mean_eer_hi", "best", "ties_best", "seconds"}})
		rankings("best", "distinct", "tied") // the ties: the summary's ties_best column
		return out
	case evaluate.ModeCompare:
		out = append(out, summary("Comparison", append([]string{"classifier", "preset"}, summaryText...)))
		diffs("compare", "published")
		rankings("window", "best", "distinct", "ties")
		out = append(out, table.Section{Name: "per_seed", Title: "Per seed", Table: PerSeedTable(run), Hidden: true},
			table.Section{Name: "users", Title: "Per user (the first seed)", Table: UserTable(run.Results), Hidden: true})
		return out
	}
	out = append(out, summary("Summary", summaryText),
		table.Section{Name: "users", Title: "Per user (the first seed)", Table: UserTable(run.Results),
			TextColumns: []string{"window", "user", "auc", "eer", "genuine", "impostor"}, Hidden: IsMultiSeed(run)},
		table.Section{Name: "per_seed", Title: "Per seed", Table: PerSeedTable(run), Hidden: true},
		table.Section{Name: "per_seed_users", Title: "Per seed and user", Table: PerSeedUserTable(run), Hidden: true})
	diffs("published")
	if t := SkippedTable(run.Results); len(t.Rows) > 0 {
		out = append(out, table.Section{Name: "skipped", Title: "Users left out", Table: t, TextColumns: []string{"user", "window", "reason"}})
	}
	return out
}
