package reports

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mouseauth/mouseauth/evaluate"
)

// NamedTable is a table of a run with a file-name stem (no extension) and a
// title for the HTML report and the Markdown file.
type NamedTable struct {
	Name  string // e.g. "summary", "users"
	Title string
	Table *Table
}

// Tables are tidy: one row per result (and window, user, seed, ...), the
// result named by its classifier, preset and protocol columns, never a
// total among the rows; the columns are the same whatever the number of
// seeds (a figure undefined for the run is an empty cell, JSON null). Rates
// are fractions. An interval is three columns: X, X_lo, X_hi (the 95%
// bootstrap interval over users, seeds folded in).

// Tables builds the run's tables, in report order:
//
//   - holdout: one row per held-out evaluation ([HoldoutTable]);
//     holdout_users and holdout_sessions (every session's score);
//   - summary: one row per result and window ([SummaryTable]);
//   - per_seed: one row per seed, result and window ([PerSeedTable]);
//   - differences and rankings: the paired comparisons and the best per
//     window ([DifferenceTable], [RankingTable]);
//   - users: one row per result, window and user (the first seed's;
//     [UserTable]) and skipped: the users left out, and why;
//   - sweeps: one row per sweep point ([SweepTable]);
//   - thresholds: one row per window and threshold ([ThresholdTable]);
//   - continuous, continuous_users: a continuous evaluation's figures
//     (tidy) and every seed's per-user rows; attacks, attack_targets,
//     attack_users: an attack evaluation's;
//   - inputs: the input files of the manifest with their SHA-256 and size.
//
// Numbers stay numbers (CSV and JSON keep full precision). A table whose
// part of the run is empty is left out, except inputs.
func Tables(run *evaluate.Run) []NamedTable {
	var out []NamedTable
	if len(run.Holdouts) > 0 {
		out = append(out, NamedTable{"holdout", "Held-out evaluations", HoldoutTable(run.Holdouts)},
			NamedTable{"holdout_users", "Held-out evaluation per user (the first seed)", HoldoutUserTable(run.Holdouts)},
			NamedTable{"holdout_sessions", "Held-out evaluation: every session's score (the first seed)", HoldoutScoreTable(run.Holdouts)})
	}
	if len(run.Results) > 0 {
		out = append(out, NamedTable{"summary", "Summary: per result and window, every figure with its 95% interval over users", SummaryTable(run.Results)},
			NamedTable{"per_seed", "Per seed: mean and sd over users", PerSeedTable(run)})
	}
	if ds := AllDifferences(run); len(ds) > 0 {
		out = append(out, NamedTable{"differences", "Paired differences (B − A) of the mean per-user AUC", DifferenceTable(ds)})
	}
	if len(run.Rankings) > 0 {
		out = append(out, NamedTable{"rankings", "The best per window and those indistinguishable from it", RankingTable(run.Rankings)})
	}
	if len(run.Results) > 0 {
		out = append(out, NamedTable{"users", "Per user and window (the first seed)", UserTable(run.Results)})
		if t := SkippedTable(run.Results); len(t.Rows) > 0 {
			out = append(out, NamedTable{"skipped", "Users left out", t})
		}
	}
	if len(run.Sweeps) > 0 {
		out = append(out, NamedTable{"sweeps", "Parameter sweep: per tree count and window", SweepTable(run)})
	}
	if len(run.Thresholds) > 0 {
		out = append(out, NamedTable{"thresholds", "Thresholds: pooled FMR and FNMR, actions until a rejection", ThresholdTable(run)})
	}
	out = append(out, continuousTables(run)...)
	out = append(out, NamedTable{"inputs", "Input files", InputTable(run.Manifest.Inputs)})
	return out
}

// resultCols name a result in every table.
var resultCols = []string{"classifier", "preset", "protocol"}

func resultCells(r evaluate.Result) []any {
	return []any{r.Classifier, emptyNil(presetOf(r)), emptyNil(r.Protocol)}
}

// runResultCells names the configuration of a run without results (a
// sweep, thresholds) from its settings.
func runResultCells(run *evaluate.Run) []any {
	if s := run.Settings; s != nil {
		return []any{emptyNil(s.Classifier), emptyNil(s.Preset), emptyNil(s.Protocol)}
	}
	if len(run.Results) > 0 {
		return resultCells(run.Results[0])
	}
	return []any{nil, nil, nil}
}

func presetOf(r evaluate.Result) string {
	if p, ok := r.Params["preset"]; ok {
		return fmt.Sprint(p)
	}
	return ""
}

func emptyNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func cells(lead []any, rest ...any) []any { return append(append([]any(nil), lead...), rest...) }

// estCols are the three columns of a figure with its interval.
func estCols(name string) []string { return []string{name, name + "_lo", name + "_hi"} }

// estCells are an estimate's three cells; the interval empty where
// undefined.
func estCells(e evaluate.Estimate) []any {
	if !e.HasInterval() {
		return []any{e.Value, nil, nil}
	}
	return []any{e.Value, *e.Lo, *e.Hi}
}

// SummaryColumns are the columns of [SummaryTable].
var SummaryColumns = func() []string {
	c := append([]string(nil), resultCols...)
	c = append(c, "aggregate", "window", "users", "seeds")
	c = append(c, estCols("mean_auc")...)
	c = append(c, "sd_auc_users", "sd_auc_seeds")
	c = append(c, estCols("mean_eer")...)
	c = append(c, "sd_eer_users")
	c = append(c, estCols("pooled_auc")...)
	c = append(c, estCols("pooled_eer")...)
	c = append(c, "pooled_eer_threshold")
	c = append(c, estCols("fnmr_at_fmr_1pct")...)
	c = append(c, estCols("fnmr_at_fmr_0_1pct")...)
	c = append(c, estCols("zero_fmr")...)
	c = append(c, estCols("hter")...)
	c = append(c, "hter_threshold", "hter_fmr", "hter_fnmr", "genuine_windows", "impostor_windows")
	c = append(c, estCols("ania")...)
	c = append(c, estCols("anga")...)
	return append(c, "params", "notes")
}()

// SummaryTable has one row per result and window (ascending), with
// [SummaryColumns]: the result (classifier, preset, protocol, aggregate),
// window, users and seeds; the mean per-user AUC and EER with their
// intervals and their sd over users (sd_auc_seeds: the sd over seeds of
// the mean AUC, empty with one seed); the pooled figures (every user's
// windows against one threshold): AUC, EER and its threshold, FNMR at FMR
// 1% and 0.1%, ZeroFMR (FNMR at FMR 0), HTER of the threshold chosen on
// the development halves (with that threshold and the test halves' FMR
// and FNMR), the windows pooled; ANIA and ANGA, the decision engine's
// sequential figures (empty until it provides them); the other parameters;
// notes: why an interval or figure of the row is undefined (one user, say),
// "; "-separated. A run written before intervals leaves those cells empty.
func SummaryTable(results []evaluate.Result) *Table {
	t := &Table{Columns: SummaryColumns}
	for _, r := range results {
		for _, s := range sortedSummary(r.Summary) {
			n := s.Users
			if n == 0 {
				n = len(usersAt(r, s.Window))
			}
			v := map[string]any{"classifier": r.Classifier, "preset": emptyNil(presetOf(r)), "protocol": emptyNil(r.Protocol),
				"aggregate": emptyNil(r.Aggregate), "window": s.Window, "users": n, "seeds": 1,
				"mean_auc": s.MeanAUC, "sd_auc_users": s.SDAUC, "mean_eer": s.MeanEER, "sd_eer_users": s.SDEER,
				"params": paramsString(otherParams(r.Params))}
			var notes []string
			est := func(name string, e evaluate.Estimate) {
				c := estCells(e)
				v[name], v[name+"_lo"], v[name+"_hi"] = c[0], c[1], c[2]
				if e.NA != "" {
					note := name + ": " + e.NA
					if !slices.ContainsFunc(notes, func(n string) bool { return strings.HasSuffix(n, ": "+e.NA) }) {
						notes = append(notes, note)
					}
				}
			}
			if st := s.Stats; st != nil {
				p := st.Pooled
				v["seeds"], v["sd_auc_seeds"] = st.Seeds, optFloat(st.SDAUCSeeds)
				est("mean_auc", st.MeanAUC)
				est("mean_eer", st.MeanEER)
				est("pooled_auc", p.AUC)
				est("pooled_eer", p.EER)
				v["pooled_eer_threshold"] = p.EERThreshold
				est("fnmr_at_fmr_1pct", p.FNMRAtFMR1)
				est("fnmr_at_fmr_0_1pct", p.FNMRAtFMR01)
				est("zero_fmr", p.ZeroFMR)
				if h := p.HTER; h != nil {
					est("hter", h.HTER)
					v["hter_threshold"], v["hter_fmr"], v["hter_fnmr"] = h.Threshold, h.FMR.Value, h.FNMR.Value
				} else if p.HTERNA != "" {
					notes = append(notes, "hter: "+p.HTERNA)
				}
				v["genuine_windows"], v["impostor_windows"] = p.Genuine, p.Impostor
				if q := st.Sequential; q != nil {
					est("ania", q.ANIA)
					est("anga", q.ANGA)
				}
			}
			v["notes"] = emptyNil(strings.Join(notes, "; "))
			row := make([]any, len(t.Columns))
			for i, c := range t.Columns {
				row[i] = v[c]
			}
			t.Add(row...)
		}
	}
	return t
}

// otherParams are a result's parameters other than the preset (which has
// a column of its own).
func otherParams(p map[string]any) map[string]any {
	out := make(map[string]any, len(p))
	for k, v := range p {
		if k != "preset" {
			out[k] = v
		}
	}
	return out
}

// optFloat is nil for a nil pointer (an undefined figure).
func optFloat(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// PerSeedTable has one row per seed, result and window: seed, classifier,
// preset, protocol, window, users, mean_auc, sd_auc, mean_eer, sd_eer
// (each seed's mean and population sd over users). A one-seed run has one
// row per result and window.
func PerSeedTable(run *evaluate.Run) *Table {
	t := &Table{Columns: append(append([]string{"seed"}, resultCols...), "window", "users", "mean_auc", "sd_auc", "mean_eer", "sd_eer")}
	add := func(seed int64, results []evaluate.Result) {
		for _, r := range results {
			for _, s := range sortedSummary(r.Summary) {
				if sp := s.Seeds; sp != nil {
					continue // a merged summary: the seeds' own rows come from PerSeed
				}
				t.Add(cells(append([]any{seed}, resultCells(r)...), s.Window, s.Users, s.MeanAUC, s.SDAUC, s.MeanEER, s.SDEER)...)
			}
		}
	}
	if len(run.PerSeed) == 0 {
		for _, r := range run.Results {
			add(r.Seed, []evaluate.Result{r})
		}
		return t
	}
	for _, sr := range run.PerSeed {
		add(sr.Seed, sr.Results)
	}
	return t
}

// UserTable has one row per result, window and user (the first seed's):
// classifier, preset, protocol, seed, window, user, auc, eer (each user's
// windows against the user's own threshold), genuine, impostor (test
// windows), train_seconds.
func UserTable(results []evaluate.Result) *Table {
	t := &Table{Columns: append(append([]string(nil), resultCols...), "seed", "window", "user", "auc", "eer", "genuine", "impostor", "train_seconds")}
	for _, r := range results {
		us := append([]evaluate.UserResult(nil), r.Users...)
		sort.SliceStable(us, func(i, j int) bool { return us[i].Window < us[j].Window })
		for _, u := range us {
			t.Add(cells(resultCells(r), r.Seed, u.Window, u.User, u.AUC, u.EER, u.Genuine, u.Impostor, u.TrainSecs)...)
		}
	}
	return t
}

// PerSeedUserTable has one row per seed, result, window and user: seed,
// classifier, preset, protocol, window, user, auc, eer, genuine, impostor.
func PerSeedUserTable(run *evaluate.Run) *Table {
	t := &Table{Columns: append(append([]string{"seed"}, resultCols...), "window", "user", "auc", "eer", "genuine", "impostor")}
	add := func(seed int64, r evaluate.Result) {
		us := append([]evaluate.UserResult(nil), r.Users...)
		sort.SliceStable(us, func(i, j int) bool { return us[i].Window < us[j].Window })
		for _, u := range us {
			t.Add(cells(append([]any{seed}, resultCells(r)...), u.Window, u.User, u.AUC, u.EER, u.Genuine, u.Impostor)...)
		}
	}
	if len(run.PerSeed) == 0 {
		for _, r := range run.Results {
			add(r.Seed, r)
		}
		return t
	}
	for _, sr := range run.PerSeed {
		for _, r := range sr.Results {
			add(sr.Seed, r)
		}
	}
	return t
}

// SkippedTable lists the users results left out: classifier, preset,
// protocol, user, window (empty for all windows), reason.
func SkippedTable(results []evaluate.Result) *Table {
	t := &Table{Columns: append(append([]string(nil), resultCols...), "user", "window", "reason")}
	for _, r := range results {
		for _, s := range r.Skipped {
			t.Add(cells(resultCells(r), s.User, optInt(s.Window), s.Reason)...)
		}
	}
	return t
}

// SweepTable has one row per sweep point, by tree count then window:
// classifier, preset, protocol, trees (empty for a sweep of the windows
// only), window, users, seeds, mean_auc with its interval, sd_auc_users,
// sd_auc_seeds, mean_eer with its interval, pooled_auc, pooled_eer,
// fnmr_at_fmr_1pct (pooled, without intervals in a sweep), best (the
// highest mean per-user AUC), ties_best (its paired interval to the best
// includes zero), seconds (the first seed's).
func SweepTable(run *evaluate.Run) *Table {
	c := append(append([]string(nil), resultCols...), "trees", "window", "users", "seeds")
	c = append(c, estCols("mean_auc")...)
	c = append(c, "sd_auc_users", "sd_auc_seeds")
	c = append(c, estCols("mean_eer")...)
	c = append(c, "pooled_auc", "pooled_eer", "fnmr_at_fmr_1pct", "best", "ties_best", "seconds")
	t := &Table{Columns: c}
	lead := runResultCells(run)
	for _, p := range sortedSweep(run.Sweeps) {
		trees, window := optInt(p.Trees), optInt(p.Window)
		if p.Trees == 0 && p.Param == "trees" {
			trees = p.Value
		}
		if p.Window == 0 && p.Param == "window" {
			window = p.Value
		}
		row := cells(lead, trees, window)
		if st := p.Stats; st != nil {
			row = append(row, st.Users, st.Seeds)
			row = append(row, estCells(st.MeanAUC)...)
			row = append(row, st.SDAUCUsers, optFloat(st.SDAUCSeeds))
			row = append(row, estCells(st.MeanEER)...)
			row = append(row, st.Pooled.AUC.Value, st.Pooled.EER.Value, st.Pooled.FNMRAtFMR1.Value)
		} else {
			row = append(row, nil, 1, p.MeanAUC, nil, nil, p.SDAUC, nil, p.MeanEER, nil, nil, nil, nil, nil)
		}
		row = append(row, p.Best, p.TiesBest, p.Seconds)
		t.Add(row...)
	}
	return t
}

// sortedSweep orders sweep points: by tree count, then window (points
// without them by their param and value).
func sortedSweep(sw []evaluate.SweepPoint) []evaluate.SweepPoint {
	out := append([]evaluate.SweepPoint(nil), sw...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Param != b.Param && (a.Trees == 0 || b.Trees == 0) {
			return a.Param < b.Param
		}
		if a.Trees != b.Trees {
			return a.Trees < b.Trees
		}
		if a.Window != b.Window {
			return a.Window < b.Window
		}
		return a.Value < b.Value
	})
	return out
}

// ThresholdTable has one row per window and threshold, ascending:
// classifier, preset, protocol, window, rule (fmr, quantile, eer or
// value), target (the FMR, quantile or value asked for; for eer the EER),
// threshold, fmr, fnmr (pooled), impostor_actions_to_rejection,
// genuine_actions_to_rejection, impostors_rejected, genuine_rejected.
func ThresholdTable(run *evaluate.Run) *Table {
	t := &Table{Columns: append(append([]string(nil), resultCols...), "window", "rule", "target", "threshold", "fmr", "fnmr",
		"impostor_actions_to_rejection", "genuine_actions_to_rejection", "impostors_rejected", "genuine_rejected")}
	lead := runResultCells(run)
	for _, g := range thresholdGroups(run.Thresholds) {
		for _, p := range g.pts {
			t.Add(cells(lead, optInt(p.Window), p.Rule, p.Target, p.Threshold, p.FMR, p.FNMR,
				p.ImpostorActionsToRejection, p.GenuineActionsToRejection, p.ImpostorsRejected, p.GenuineRejected)...)
		}
	}
	return t
}

// AllDifferences returns the run's paired differences and, where the input
// is a published feature file (same SHA-256), each result against the
// published mean AUC at the windows it gives: the difference of our mean
// per-user AUC and its interval shifted by the published figure (one
// number, measured once: no paired test).
func AllDifferences(run *evaluate.Run) []evaluate.Difference {
	out := append([]evaluate.Difference(nil), run.Differences...)
	pub, same := publishedFor(run.Manifest)
	if pub == nil || !same {
		return out
	}
	for _, r := range run.Results {
		for _, s := range sortedSummary(r.Summary) {
			v, ok := pub.AUC[s.Window]
			if !ok || s.Stats == nil {
				continue
			}
			e := s.Stats.MeanAUC
			d := evaluate.Difference{Kind: "published", A: "published (" + pub.Source + ")", B: evaluate.ResultName(r),
				Window: s.Window, Metric: "mean_auc", Users: s.Stats.Users, Seeds: s.Stats.Seeds,
				Diff: evaluate.Estimate{Value: e.Value - v[0], NA: e.NA},
				NA:   "the published figure is one number: the interval is ours, shifted; no paired test"}
			if e.HasInterval() {
				lo, hi := *e.Lo-v[0], *e.Hi-v[0]
				d.Diff.Lo, d.Diff.Hi = &lo, &hi
				d.IntervalExcludesZero = lo > 0 || hi < 0
			}
			out = append(out, d)
		}
	}
	return out
}

// DifferenceTable has one row per difference: kind, a, b, window, metric,
// users, seeds, diff (B − A) with its interval, interval_excludes_zero,
// wilcoxon_p, pooled_diff, delong_z, delong_p, delong_paired, na.
func DifferenceTable(ds []evaluate.Difference) *Table {
	c := []string{"kind", "a", "b", "window", "metric", "users", "seeds"}
	c = append(c, estCols("diff")...)
	c = append(c, "interval_excludes_zero", "wilcoxon_p", "pooled_diff", "delong_z", "delong_p", "delong_paired", "na")
	t := &Table{Columns: c}
	for _, d := range ds {
		row := []any{d.Kind, d.A, d.B, optInt(d.Window), d.Metric, d.Users, d.Seeds}
		row = append(row, estCells(d.Diff)...)
		var z, p, paired any
		if d.DeLong != nil {
			z, p, paired = d.DeLong.Z, d.DeLong.P, d.DeLong.Paired
		}
		row = append(row, d.IntervalExcludesZero, optFloat(d.WilcoxonP), optFloat(d.PooledDiff), z, p, paired, emptyNil(d.NA))
		t.Add(row...)
	}
	return t
}

// RankingTable has one row per ranking: kind (compare or sweep), window
// (empty for a sweep's ranking over every cell), metric, best, distinct
// (its interval against every other excludes zero), tied (how many are
// indistinguishable from it), ties (which, "; "-separated).
func RankingTable(rs []evaluate.Ranking) *Table {
	t := &Table{Columns: []string{"kind", "window", "metric", "best", "distinct", "tied", "ties"}}
	for _, r := range rs {
		t.Add(r.Kind, optInt(r.Window), r.Metric, r.Best, r.Distinct, len(r.Ties), emptyNil(strings.Join(r.Ties, "; ")))
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

// Display returns a copy of t for people (Markdown, HTML, text): each
// column triple "X", "X_lo", "X_hi" becomes one column "X [95% CI]" of
// strings with three decimals ("0.875 [0.851, 0.897]", the figure alone
// where the interval is undefined); a column pair "mean_X", "sd_X" becomes
// "X (mean ± sd)". A float column of whole numbers becomes integers; a
// p-value column ("…_p") reads "< 0.0001" or three significant digits;
// other cells are unchanged.
func Display(t *Table) *Table {
	type col struct {
		name        string
		src, lo, hi int // lo < 0: plain column; hi < 0 with lo >= 0: mean ± sd
	}
	idx := map[string]int{}
	for i, c := range t.Columns {
		idx[c] = i
	}
	var cols []col
	for i := 0; i < len(t.Columns); i++ {
		c := t.Columns[i]
		if i+2 < len(t.Columns) && t.Columns[i+1] == c+"_lo" && t.Columns[i+2] == c+"_hi" {
			cols = append(cols, col{c + " [95% CI]", i, i + 1, i + 2})
			i += 2
			continue
		}
		if x, ok := strings.CutPrefix(c, "mean_"); ok && i+1 < len(t.Columns) && t.Columns[i+1] == "sd_"+x {
			cols = append(cols, col{x + " (mean ± sd)", i, i + 1, -1})
			i++
			continue
		}
		cols = append(cols, col{c, i, -1, -1})
	}
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
			switch {
			case c.lo < 0:
				row[j] = r[c.src]
				if f, ok := row[j].(float64); ok && strings.HasSuffix(c.name, "_p") {
					row[j] = pValue(f) // "< 0.0001", not "0.0000"
				} else if ok && integral[c.src] {
					row[j] = int64(f) // a tree count reads "100", not "100.0000"
				}
			case c.hi < 0:
				row[j] = formatCell(r[c.src]) + " ± " + formatCell(r[c.lo])
			default:
				row[j] = intervalCell(r[c.src], r[c.lo], r[c.hi])
			}
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}

// intervalCell is "0.875 [0.851, 0.897]", the figure alone without an
// interval, "" without a figure.
func intervalCell(v, lo, hi any) string {
	f, ok := v.(float64)
	if !ok {
		return formatCell(v)
	}
	l, ok1 := lo.(float64)
	h, ok2 := hi.(float64)
	if !ok1 || !ok2 {
		return fixed3(f)
	}
	return fmt.Sprintf("%s [%s, %s]", fixed3(f), fixed3(l), fixed3(h))
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

// paramsString renders parameters as "k=v k=v", keys sorted.
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
