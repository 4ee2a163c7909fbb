package reports

import (
	"fmt"
	"slices"
	"sort"

	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/table"
)

// Tables of multi-seed runs and held-out evaluations. Column names: in a
// multi-seed table mean_auc is the mean over seeds of the mean AUC over
// users, sd_auc_seeds its standard deviation over seeds (the seed noise)
// and sd_auc_users the mean over seeds of the standard deviation over users
// (the per-user spread).

// IsMultiSeed reports whether run was made over two or more seeds.
func IsMultiSeed(run *evaluate.Run) bool { return len(run.Seeds) > 1 }

// resultLead is the leading columns naming a result in a table.
type resultLead struct {
	cols []string
	of   func(evaluate.Result) []any
}

var (
	// leadNone names nothing (one result).
	leadNone = resultLead{nil, func(evaluate.Result) []any { return nil }}
	// leadCompare names a result of compare.
	leadCompare = resultLead{[]string{"classifier", "preset", "protocol"}, func(r evaluate.Result) []any {
		return []any{r.Classifier, presetOf(r), r.Protocol}
	}}
	// leadReport names a result in the report's tables.
	leadReport = resultLead{[]string{"classifier", "protocol", "aggregate", "params"}, func(r evaluate.Result) []any {
		return []any{r.Classifier, r.Protocol, r.Aggregate, paramsString(r.Params)}
	}}
)

func presetOf(r evaluate.Result) string {
	if p, ok := r.Params["preset"]; ok {
		return fmt.Sprint(p)
	}
	return ""
}

func cells(lead []any, rest ...any) []any { return append(append([]any(nil), lead...), rest...) }

// seedSummaryTable has one row per result and window of a multi-seed run:
// the lead columns, window, users, seeds, mean_auc, sd_auc_seeds,
// sd_auc_users, mean_eer, sd_eer_seeds, mean_accuracy, sd_accuracy_seeds
// (see the column names above). Windows without seed figures are left out.
func seedSummaryTable(results []evaluate.Result, lead resultLead) *table.Table {
	t := &table.Table{}
	t.Columns = append(append([]string(nil), lead.cols...), "window", "users", "seeds", "mean_auc", "sd_auc_seeds",
		"sd_auc_users", "mean_eer", "sd_eer_seeds", "mean_accuracy", "sd_accuracy_seeds")
	for _, r := range results {
		for _, s := range sortedSummary(r.Summary) {
			sp := s.Seeds
			if sp == nil {
				continue
			}
			t.Add(cells(lead.of(r), s.Window, s.Users, len(sp.Seeds), sp.MeanAUC.Mean, sp.MeanAUC.SD, sp.SDAUC.Mean,
				sp.MeanEER.Mean, sp.MeanEER.SD, sp.MeanAccuracy.Mean, sp.MeanAccuracy.SD)...)
		}
	}
	return t
}

// SeedSummaryTable is the report's summary of a multi-seed run: classifier,
// protocol, aggregate, params, window, users, seeds, then the figures over
// seeds (see [seedSummaryTable]).
func SeedSummaryTable(results []evaluate.Result) *table.Table {
	return seedSummaryTable(results, leadReport)
}

// perSeedTable has one row per seed, result and window: seed, the lead
// columns, window, users, mean_auc, sd_auc, mean_eer, sd_eer,
// mean_accuracy (each seed's mean and sd over users).
func perSeedTable(run *evaluate.Run, lead resultLead) *table.Table {
	t := &table.Table{Columns: append(append([]string{"seed"}, lead.cols...), "window", "users", "mean_auc", "sd_auc", "mean_eer", "sd_eer", "mean_accuracy")}
	for _, sr := range run.PerSeed {
		for _, r := range sr.Results {
			for _, s := range sortedSummary(r.Summary) {
				t.Add(cells(append([]any{sr.Seed}, lead.of(r)...), s.Window, s.Users, s.MeanAUC, s.SDAUC, s.MeanEER, s.SDEER, s.MeanAccuracy)...)
			}
		}
	}
	return t
}

// perSeedUserTable has one row per seed, result, window and user: seed, the
// lead columns, window, user, auc, eer, accuracy, genuine, impostor.
func perSeedUserTable(run *evaluate.Run, lead resultLead) *table.Table {
	t := &table.Table{Columns: append(append([]string{"seed"}, lead.cols...), "window", "user", "auc", "eer", "accuracy", "genuine", "impostor")}
	for _, sr := range run.PerSeed {
		for _, r := range sr.Results {
			us := append([]evaluate.UserResult(nil), r.Users...)
			sort.SliceStable(us, func(i, j int) bool { return us[i].Window < us[j].Window })
			for _, u := range us {
				t.Add(cells(append([]any{sr.Seed}, lead.of(r)...), u.Window, u.User, u.AUC, u.EER, u.Accuracy, u.Genuine, u.Impostor)...)
			}
		}
	}
	return t
}

// seedSweepTable has one row per sweep point of a multi-seed run: trees,
// window, seeds, mean_auc, sd_auc_seeds, sd_auc_users, mean_eer,
// sd_eer_seeds, seconds (the first seed's).
func seedSweepTable(sw []evaluate.SweepPoint) *table.Table {
	t := &table.Table{Columns: []string{"trees", "window", "seeds", "mean_auc", "sd_auc_seeds", "sd_auc_users", "mean_eer", "sd_eer_seeds", "seconds"}}
	for _, p := range sortedSweep(sw) {
		if p.Seeds == nil {
			continue
		}
		sp := p.Seeds
		t.Add(optInt(p.Trees), optInt(p.Window), len(sp.Seeds), sp.MeanAUC.Mean, sp.MeanAUC.SD, sp.SDAUC.Mean, sp.MeanEER.Mean, sp.MeanEER.SD, p.Seconds)
	}
	return t
}

// sortedSweep orders sweep points for the tables: grouped by param (first
// appearance), then by ascending value, trees and window.
func sortedSweep(sw []evaluate.SweepPoint) []evaluate.SweepPoint {
	var out []evaluate.SweepPoint
	for _, param := range sweepParams(sw) {
		var pts []evaluate.SweepPoint
		for _, s := range sw {
			if s.Param == param {
				pts = append(pts, s)
			}
		}
		sort.SliceStable(pts, func(i, j int) bool {
			a, b := pts[i], pts[j]
			if a.Value != b.Value {
				return a.Value < b.Value
			}
			if a.Trees != b.Trees {
				return a.Trees < b.Trees
			}
			return a.Window < b.Window
		})
		out = append(out, pts...)
	}
	return out
}

// AllDifferences returns the run's paired differences (compare, sweep) and,
// where the input is a published feature file (same SHA-256), each result
// against the published mean AUC at the windows it gives. Empty for a
// single-seed run.
func AllDifferences(run *evaluate.Run) []evaluate.Difference {
	if !IsMultiSeed(run) {
		return nil
	}
	out := append([]evaluate.Difference(nil), run.Differences...)
	pub, same := publishedFor(run.Manifest)
	if pub == nil || !same {
		return out
	}
	for _, r := range run.Results {
		for _, s := range sortedSummary(r.Summary) {
			v, ok := pub.AUC[s.Window]
			if !ok || s.Seeds == nil || len(s.Seeds.MeanAUC.Values) < 2 {
				continue
			}
			m, se, beyond := evaluate.PublishedDifference(v[0], s.Seeds.MeanAUC.Values)
			out = append(out, evaluate.Difference{Kind: "published", A: "published (" + pub.Source + ")", B: evaluate.ResultName(r),
				Window: s.Window, Metric: "mean_auc", MeanDiff: m, SE: se, Seeds: len(s.Seeds.MeanAUC.Values), BeyondNoise: beyond})
		}
	}
	return out
}

// DifferenceTable has one row per difference: kind, a, b, window, metric,
// mean_diff (B − A), se, seeds, beyond_noise.
func DifferenceTable(ds []evaluate.Difference) *table.Table {
	t := &table.Table{Columns: []string{"kind", "a", "b", "window", "metric", "mean_diff", "se", "seeds", "beyond_noise"}}
	for _, d := range ds {
		t.Add(d.Kind, d.A, d.B, optInt(d.Window), d.Metric, d.MeanDiff, d.SE, d.Seeds, d.BeyondNoise)
	}
	return t
}

// ---- held-out evaluation -------------------------------------------------

// holdoutStats lists a held-out result's figures: name, value and, over
// seeds, the per-seed values.
func holdoutStats(h evaluate.HoldoutResult) []struct {
	name  string
	value float64
	stat  *evaluate.SeedStat
	count bool
} {
	type fig = struct {
		name  string
		value float64
		stat  *evaluate.SeedStat
		count bool
	}
	var sp evaluate.HoldoutSeeds
	if h.Seeds != nil {
		sp = *h.Seeds
	}
	st := func(s evaluate.SeedStat) *evaluate.SeedStat {
		if h.Seeds == nil || len(s.Values) == 0 {
			return nil
		}
		return &s
	}
	out := []fig{
		{"genuine_sessions", float64(h.Sessions.Genuine), nil, true},
		{"impostor_sessions", float64(h.Sessions.Impostor), nil, true},
		{"genuine_actions", float64(h.Actions.Genuine), nil, true},
		{"impostor_actions", float64(h.Actions.Impostor), nil, true},
		{"session_auc", h.Sessions.AUC, st(sp.SessionAUC), false},
		{"session_eer", h.Sessions.EER, st(sp.SessionEER), false},
		{"action_auc", h.Actions.AUC, st(sp.ActionAUC), false},
		{"action_eer", h.Actions.EER, st(sp.ActionEER), false},
	}
	if h.UsersDefined > 0 {
		out = append(out, fig{"user_mean_session_auc", h.UserMeanAUC, st(sp.UserMeanAUC), false},
			fig{"user_sd_session_auc", h.UserSDAUC, st(sp.UserSDAUC), false})
	}
	out = append(out, fig{"users_with_auc", float64(h.UsersDefined), nil, true})
	return out
}

// HoldoutSummaryTable lists a held-out result's figures, one per row:
// figure, value for one seed; figure, mean, sd_seeds, seeds over several
// (counts and figures measured on the first seed only have no sd). Figures:
// genuine_sessions, impostor_sessions, genuine_actions, impostor_actions,
// session_auc, session_eer (pooled sessions), action_auc, action_eer
// (pooled actions), user_mean_session_auc, user_sd_session_auc (over the
// users with a per-user AUC), users_with_auc.
func HoldoutSummaryTable(h evaluate.HoldoutResult) *table.Table {
	figs := holdoutStats(h)
	if h.Seeds == nil {
		t := &table.Table{Columns: []string{"figure", "value"}}
		for _, f := range figs {
			var v any = f.value
			if f.count {
				v = int(f.value)
			}
			t.Add(f.name, v)
		}
		return t
	}
	t := &table.Table{Columns: []string{"figure", "mean", "sd_seeds", "seeds"}}
	for _, f := range figs {
		switch {
		case f.count:
			t.Add(f.name, int(f.value), nil, nil)
		case f.stat != nil:
			t.Add(f.name, f.stat.Mean, f.stat.SD, len(f.stat.Values))
		default:
			t.Add(f.name+" (seed "+fmt.Sprint(h.Seed)+")", f.value, nil, 1)
		}
	}
	return t
}

// optFloat is nil for a nil pointer (an undefined figure).
func optFloat(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// HoldoutUserTable has one row per claimed user of h: user,
// genuine_sessions, impostor_sessions, actions, session_auc, session_eer,
// action_auc (empty, JSON null, when undefined), na (why).
func HoldoutUserTable(h evaluate.HoldoutResult) *table.Table {
	t := &table.Table{Columns: []string{"user", "genuine_sessions", "impostor_sessions", "actions", "session_auc", "session_eer", "action_auc", "na"}}
	for _, u := range h.Users {
		t.Add(u.User, u.GenuineSessions, u.ImpostorSessions, u.Actions, optFloat(u.SessionAUC), optFloat(u.SessionEER), optFloat(u.ActionAUC), u.NA)
	}
	return t
}

// holdoutSeedUserTable has one row per user of a multi-seed held-out run:
// user, genuine_sessions, impostor_sessions, seeds (with a defined AUC),
// session_auc (mean over seeds), sd_session_auc_seeds, action_auc, na.
func holdoutSeedUserTable(run *evaluate.Run, i int) *table.Table {
	t := &table.Table{Columns: []string{"user", "genuine_sessions", "impostor_sessions", "seeds", "session_auc", "sd_session_auc_seeds", "action_auc", "na"}}
	type acc struct {
		u         evaluate.HoldoutUser
		auc, aAUC []float64
		firstNA   string
	}
	var order []string
	by := map[string]*acc{}
	for _, sr := range run.PerSeed {
		if i >= len(sr.Holdouts) {
			continue
		}
		for _, u := range sr.Holdouts[i].Users {
			a := by[u.User]
			if a == nil {
				a = &acc{u: u}
				by[u.User] = a
				order = append(order, u.User)
			}
			if u.SessionAUC != nil {
				a.auc = append(a.auc, *u.SessionAUC)
				a.aAUC = append(a.aAUC, *u.ActionAUC)
			} else if a.firstNA == "" {
				a.firstNA = u.NA
			}
		}
	}
	for _, name := range order {
		a := by[name]
		if len(a.auc) == 0 {
			t.Add(name, a.u.GenuineSessions, a.u.ImpostorSessions, 0, nil, nil, nil, a.firstNA)
			continue
		}
		s, as := evaluate.NewSeedStat(a.auc), evaluate.NewSeedStat(a.aAUC)
		t.Add(name, a.u.GenuineSessions, a.u.ImpostorSessions, len(a.auc), s.Mean, s.SD, as.Mean, a.firstNA)
	}
	return t
}

// holdoutPerSeedUserTable has one row per seed and user: seed, then
// [HoldoutUserTable]'s columns.
func holdoutPerSeedUserTable(run *evaluate.Run, i int) *table.Table {
	t := &table.Table{Columns: []string{"seed", "user", "genuine_sessions", "impostor_sessions", "actions", "session_auc", "session_eer", "action_auc", "na"}}
	for _, sr := range run.PerSeed {
		if i >= len(sr.Holdouts) {
			continue
		}
		for _, row := range HoldoutUserTable(sr.Holdouts[i]).Rows {
			t.Add(append([]any{sr.Seed}, row...)...)
		}
	}
	return t
}

// holdoutPerSeedTable has one row per seed: seed, session_auc,
// session_eer, action_auc, action_eer, user_mean_session_auc,
// user_sd_session_auc, users_with_auc.
func holdoutPerSeedTable(run *evaluate.Run, i int) *table.Table {
	t := &table.Table{Columns: []string{"seed", "session_auc", "session_eer", "action_auc", "action_eer", "user_mean_session_auc", "user_sd_session_auc", "users_with_auc"}}
	for _, sr := range run.PerSeed {
		if i >= len(sr.Holdouts) {
			continue
		}
		h := sr.Holdouts[i]
		var um, us any
		if h.UsersDefined > 0 {
			um, us = h.UserMeanAUC, h.UserSDAUC
		}
		t.Add(sr.Seed, h.Sessions.AUC, h.Sessions.EER, h.Actions.AUC, h.Actions.EER, um, us, h.UsersDefined)
	}
	return t
}

// HoldoutScoreTable has one row per scored session: user (the claimed
// user, whose model scored it), folder (the session's own folder, when
// another: --cross), session, genuine, actions, score.
func HoldoutScoreTable(h evaluate.HoldoutResult) *table.Table {
	t := &table.Table{Columns: []string{"user", "folder", "session", "genuine", "actions", "score"}}
	for _, s := range h.Scores {
		var folder any
		if s.Folder != "" {
			folder = s.Folder
		}
		t.Add(s.User, folder, s.Session, s.Genuine, s.Actions, s.Score)
	}
	return t
}

// ---- command output ------------------------------------------------------

// CommandOutput is what `mouseauth evaluate` prints for a run of mode, as
// [table.Sections] (text: the visible sections under their titles; JSON: an
// object of arrays; CSV: the first section):
//
//   - run: users (per-user rows; with several seeds every seed's, with a
//     seed column, hidden in text), summary (mean and sd over users per
//     window; over seeds: see [SeedSummaryTable]), then with several seeds
//     per_seed and differences (against the published figure, when the
//     input is a published file), and skipped users;
//   - compare: summary (one row per result and window), per_seed and
//     differences with several seeds;
//   - sweep: summary (one row per point), differences with several seeds;
//   - threshold: thresholds, then the summary of the run;
//   - holdout: summary (one figure per row), users, sessions (every
//     session's score, hidden in text), per_seed with several seeds.
func CommandOutput(mode evaluate.Mode, run *evaluate.Run) table.Sections {
	multi := IsMultiSeed(run)
	var out table.Sections
	// diffs adds the differences of the given kinds.
	diffs := func(kinds ...string) {
		var ds []evaluate.Difference
		for _, d := range AllDifferences(run) {
			if slices.Contains(kinds, d.Kind) {
				ds = append(ds, d)
			}
		}
		if len(ds) > 0 {
			out = append(out, table.Section{Name: "differences", Title: "Differences (" + noiseRule(len(run.Seeds)) + ")", Table: DifferenceTable(ds)})
		}
	}
	seedsTitle := ""
	if multi {
		seedsTitle = fmt.Sprintf(" over seeds %s: mean, sd over seeds, sd over users (mean over seeds)", seedsText(run.Seeds))
	}
	switch mode {
	case evaluate.ModeHoldout:
		for i, h := range run.Holdouts {
			suffix := ""
			if len(run.Holdouts) > 1 {
				suffix = fmt.Sprintf("_%d", i+1)
			}
			title := fmt.Sprintf("Held-out evaluation: %s, sessions scored by the %s of their actions' scores", h.Classifier, h.Aggregate)
			if multi {
				title += fmt.Sprintf("; mean and sd over seeds %s", seedsText(run.Seeds))
			}
			out = append(out, table.Section{Name: "summary" + suffix, Title: title, Table: HoldoutSummaryTable(h)})
			if multi {
				out = append(out,
					table.Section{Name: "users" + suffix, Title: "Per user: session AUC, mean and sd over seeds", Table: holdoutSeedUserTable(run, i)},
					table.Section{Name: "per_seed" + suffix, Title: "Per seed", Table: holdoutPerSeedTable(run, i), Hidden: true},
					table.Section{Name: "per_seed_users" + suffix, Title: "Per seed and user", Table: holdoutPerSeedUserTable(run, i), Hidden: true})
			} else {
				out = append(out, table.Section{Name: "users" + suffix, Title: "Per user (the sessions claiming the user)", Table: HoldoutUserTable(h)})
			}
			out = append(out, table.Section{Name: "sessions" + suffix, Title: "Per session", Table: HoldoutScoreTable(h), Hidden: true})
		}
		return out
	case evaluate.ModeThreshold:
		out = append(out, table.Section{Name: "thresholds", Title: "Alarm thresholds", Table: ThresholdTable(run.Thresholds)})
		out = append(out, table.Section{Name: "summary", Title: "Summary: mean and sd over users", Table: runSummaryTable(run.Results)})
		return out
	case evaluate.ModeSweep:
		if multi {
			out = append(out, table.Section{Name: "summary", Title: "Sweep" + seedsTitle, Table: seedSweepTable(run.Sweeps)})
			diffs("sweep")
			return out
		}
		out = append(out, table.Section{Name: "summary", Title: "Sweep: mean and sd over users",
			Table: SweepTable(run.Sweeps).Select("trees", "window", "mean_auc", "sd_auc", "mean_eer", "seconds")})
		return out
	case evaluate.ModeCompare:
		if multi {
			out = append(out, table.Section{Name: "summary", Title: "Comparison" + seedsTitle, Table: seedSummaryTable(run.Results, leadCompare)},
				table.Section{Name: "per_seed", Title: "Per seed", Table: perSeedTable(run, leadCompare), Hidden: true})
			diffs("compare", "published")
			return out
		}
		t := &table.Table{Columns: []string{"classifier", "preset", "protocol", "window", "mean_auc", "sd_auc", "mean_eer", "mean_accuracy", "seconds"}}
		for _, r := range run.Results {
			for _, s := range sortedSummary(r.Summary) {
				t.Add(r.Classifier, presetOf(r), r.Protocol, s.Window, s.MeanAUC, s.SDAUC, s.MeanEER, s.MeanAccuracy, r.Seconds)
			}
		}
		out = append(out, table.Section{Name: "summary", Title: "Comparison: mean and sd over users", Table: t})
		return out
	}
	if multi {
		out = append(out, table.Section{Name: "users", Title: "Per user and seed", Table: perSeedUserTable(run, leadNone), Hidden: true},
			table.Section{Name: "summary", Title: "Summary" + seedsTitle, Table: seedSummaryTable(run.Results, leadNone)},
			table.Section{Name: "per_seed", Title: "Per seed: mean and sd over users", Table: perSeedTable(run, leadNone), Hidden: true})
		diffs("published")
	} else {
		users := &table.Table{Columns: []string{"window", "user", "auc", "eer", "accuracy", "genuine", "impostor"}}
		for _, r := range run.Results {
			users.Rows = append(users.Rows, UserTable(r).Select(users.Columns...).Rows...)
		}
		out = append(out, table.Section{Name: "users", Title: "Per user", Table: users},
			table.Section{Name: "summary", Title: "Summary: mean and sd over users", Table: runSummaryTable(run.Results)})
	}
	var skipped []evaluate.Skip
	for _, r := range run.Results {
		skipped = append(skipped, r.Skipped...)
	}
	if len(skipped) > 0 {
		out = append(out, table.Section{Name: "skipped", Title: "Users left out", Table: SkippedTable(evaluate.Result{Skipped: skipped})})
	}
	return out
}

// runSummaryTable has one row per result and window: window, users,
// mean_auc, sd_auc, mean_eer, sd_eer, mean_accuracy, sd_accuracy.
func runSummaryTable(results []evaluate.Result) *table.Table {
	t := &table.Table{Columns: []string{"window", "users", "mean_auc", "sd_auc", "mean_eer", "sd_eer", "mean_accuracy", "sd_accuracy"}}
	for _, r := range results {
		for _, s := range sortedSummary(r.Summary) {
			n := s.Users
			if n == 0 {
				n = len(usersAt(r, s.Window))
			}
			t.Add(s.Window, n, s.MeanAUC, s.SDAUC, s.MeanEER, s.SDEER, s.MeanAccuracy, s.SDAccuracy)
		}
	}
	return t
}
