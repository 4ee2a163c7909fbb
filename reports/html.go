package reports

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot/vg"

	"github.com/mouseauth/mouseauth/evaluate"
)

// Rendered is a [Figure] drawn as SVG, for the page.
type Rendered struct {
	Figure
	SVG []byte
}

// ContentSecurityPolicy is the policy report.html declares: nothing may load
// from outside the file; images come only from data: URIs and styles only
// from the inline <style>. A browser thus enforces that the report is
// self-contained.
const ContentSecurityPolicy = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

// htmlTable is a table for people: cells already formatted.
type htmlTable struct {
	// Groups, if set, is a first header row of column groups.
	Groups  []htmlGroup
	Columns []string
	Rows    []htmlRow
	Numeric []bool // per column: right-aligned
}

type htmlGroup struct {
	Label string
	Span  int
}

type htmlRow struct {
	Head  string // first cell, a row header; "" for none
	Href  string // link of the row header
	Note  string // small print under the row header
	Class string
	Cells []htmlCell
}

type htmlCell struct {
	Text  string
	Class string // "best", "na"
	Title string // a tooltip: why a figure has no interval
	Sub   string // a second line in small print: the interval
}

type htmlFigure struct {
	Name, Title, Caption string
	SVG                  template.HTML
}

type htmlDetails struct {
	Summary string
	Figure  *htmlFigure
	Table   *htmlTable
}

type htmlResult struct {
	ID, Label string
	Settings  string // what sets this result apart (or all of it, alone)
	Facts     string // seed, time
	Skipped   *htmlTable
	Figures   []*htmlFigure // mean ROC, DET
	Windows   []htmlDetails
}

type htmlCompare struct {
	Window  int
	Figures []*htmlFigure
}

type htmlHoldout struct {
	ID, Label  string
	Settings   string
	Facts      string
	Summary    *htmlTable
	Figures    []*htmlFigure
	Users      *htmlTable
	UsersNote  string
	PerSeed    *htmlTable
	Unlabelled string
}

type htmlPage struct {
	Title       string
	CSP         string
	Lede        []string
	Incomplete  string
	CommandLine string
	Version     string
	GoVersion   string
	Seed        int64
	Started     string
	Settings    string
	Inputs      *htmlTable
	Seeds       string // "0-9 (10 seeds)" for a multi-seed run
	Holdouts    []htmlHoldout
	Summary     *htmlTable
	SummaryNote []string
	Common      string
	Published   string
	Sequential  string
	// Differences lists the paired comparisons whose interval excludes
	// zero; DiffAll every one (when many); DiffNote states the rule.
	Differences *htmlTable
	DiffAll     *htmlTable
	DiffNote    string
	Rankings    []string
	Compare     []htmlCompare
	CompareNote string
	Results     []htmlResult
	SweepBest   string
	SweepFigs   []*htmlFigure
	Sweeps      *htmlTable
	ThreshFigs  []*htmlFigure
	Thresholds  *htmlTable
	// Evals are the continuous and attack evaluations.
	Evals []htmlEval
	Empty bool
}

// WriteHTML writes a self-contained HTML report of run to w, for reading
// top-down: a summary (every figure of every result and window with its 95%
// interval, the published figures beside where the input is a published
// data set), the paired differences and rankings, the comparison of
// results, each result with its settings shown once, its mean per-user ROC
// and pooled DET and, collapsed, per window its users' ROC and table, then
// sweeps, thresholds, and how the run was made (command, settings, seeds,
// version, input files and their SHA-256). figs are the run's rendered
// [Figures]; each is inlined as SVG that scales to the page, with its
// title and caption beside it, so the file needs nothing else. All text
// from the run is HTML-escaped.
func WriteHTML(w io.Writer, run *evaluate.Run, figs []Rendered) error {
	byName := make(map[string]*htmlFigure, len(figs))
	var order []string
	for _, f := range figs {
		byName[f.Name] = &htmlFigure{Name: f.Name, Title: f.Title, Caption: f.Caption, SVG: inlineSVG(f.SVG, f.Title+". "+f.Caption, f.figureStyle())}
		order = append(order, f.Name)
	}
	m := run.Manifest
	page := htmlPage{
		Title:       "mouseauth report",
		CSP:         ContentSecurityPolicy,
		Lede:        lede(run),
		CommandLine: shellJoin(m.Command),
		Version:     m.Version,
		GoVersion:   m.GoVersion,
		Seed:        m.Seed,
		Started:     "unknown",
		Inputs:      inputTable(m.Inputs),
		Empty:       IsEmpty(run),
		Settings:    settingsText(run.Settings),
	}
	if inc := run.Incomplete; inc != nil {
		page.Incomplete = "This run is incomplete: " + inc.Reason + ". Everything below is what finished."
	}
	if !m.Started.IsZero() {
		page.Started = m.Started.UTC().Format(time.RFC3339)
	}
	multi := IsMultiSeed(run)
	if multi {
		page.Seeds = fmt.Sprintf("%s (%d seeds)", seedsText(run.Seeds), len(run.Seeds))
	}
	for i, h := range run.Holdouts {
		slug := ""
		if i > 0 {
			slug = fmt.Sprintf("_%d", i+1)
		}
		page.Holdouts = append(page.Holdouts, holdoutSection(run, i, h, slug, byName))
	}
	if len(run.Holdouts) > 0 && len(run.Results) == 0 {
		page.Title += ": held-out " + run.Holdouts[0].Classifier
	}
	names := nameResults(run.Results)
	slugs := resultSlugs(run.Results)
	if len(run.Results) > 0 {
		page.Title += ": " + strings.Join(names.Short, "; ")
		pub, same := publishedFor(m)
		page.Summary = summaryTable(run, names, slugs, pub, same)
		page.SummaryNote = summaryNotes(run)
		common := names.Common
		if len(run.Results) == 1 {
			common = settingsOf(run.Results[0])
		}
		if multi {
			common = withSeeds(common, run.Seeds)
			page.CompareNote = fmt.Sprintf("Curves and intervals are over seeds %s; the per-user curves (collapsed, per result) are seed %d's.", seedsText(run.Seeds), run.Seeds[0])
		}
		page.Common = showSettings(common)
		if pub != nil {
			page.Published = fmt.Sprintf("Published: %s (%s) on %s: mean per-user AUC ± sd over users, one seed, no interval.", pub.Source, pub.Setup, pub.File)
			if !same {
				page.Published += " The input has that name but not the published content (SHA-256 differs): its figures are not comparable."
			}
		}
		page.Sequential = sequentialNote(run)
	}
	for i, r := range run.Results {
		hr := htmlResult{ID: "result-" + slugs[i], Label: names.Long[i]}
		if len(run.Results) > 1 {
			hr.Settings = showSettings(names.Differ[i])
		}
		hr.Facts = fmt.Sprintf("per-user figures and curves: seed %d", r.Seed)
		if multi {
			hr.Facts = fmt.Sprintf("per-user figures and curves: seed %d of %s", r.Seed, seedsText(run.Seeds))
		}
		if r.Seconds > 0 {
			hr.Facts += fmt.Sprintf(" · %s s", formatNumber(r.Seconds))
		}
		if len(r.Skipped) > 0 {
			hr.Skipped = skippedTable(r)
		}
		for _, n := range []string{"roc_mean_" + slugs[i], "det_" + slugs[i]} {
			if f := byName[n]; f != nil {
				hr.Figures = append(hr.Figures, f)
			}
		}
		for _, win := range resultWindows(r) {
			users := usersAt(r, win)
			hr.Windows = append(hr.Windows, htmlDetails{
				Summary: windowSummary(win, users),
				Figure:  byName[fmt.Sprintf("roc_users_%s_w%d", slugs[i], win)],
				Table:   userTable(users),
			})
		}
		page.Results = append(page.Results, hr)
	}
	if len(run.Results) > 1 {
		for _, win := range allSummaryWindows(run.Results) {
			c := htmlCompare{Window: win}
			for _, n := range []string{fmt.Sprintf("roc_compare_w%d", win), fmt.Sprintf("det_compare_w%d", win)} {
				if f := byName[n]; f != nil {
					c.Figures = append(c.Figures, f)
				}
			}
			page.Compare = append(page.Compare, c)
		}
	}
	for _, n := range order {
		switch {
		case strings.HasPrefix(n, "sweep_"):
			page.SweepFigs = append(page.SweepFigs, byName[n])
		case strings.HasPrefix(n, "threshold_"):
			page.ThreshFigs = append(page.ThreshFigs, byName[n])
		}
	}
	if len(run.Sweeps) > 0 {
		page.Sweeps = sweepTable(run.Sweeps)
		page.SweepBest = sweepBest(run)
	}
	if ds := AllDifferences(run); len(ds) > 0 {
		page.Differences, page.DiffAll = differenceTables(ds)
		page.DiffNote = DifferenceRule
		if pub, _ := publishedFor(m); pub != nil {
			page.DiffNote += " Against the published figure (one number, one seed) the interval is ours shifted by it, without a paired test."
		}
	}
	for _, r := range run.Rankings {
		if r.Kind == "compare" {
			page.Rankings = append(page.Rankings, rankingText(r))
		}
	}
	if len(run.Thresholds) > 0 {
		page.Thresholds = thresholdTable(run.Thresholds)
	}
	page.Evals = evalSections(run, byName)
	if len(page.Evals) > 0 && len(run.Results) == 0 && len(run.Holdouts) == 0 {
		page.Title += ": " + page.Evals[0].Title
	}
	return pageTemplate.Execute(w, page)
}

// DifferenceRule says how differences are judged, for the report and
// tables.
const DifferenceRule = "Each difference is B − A of the mean per-user AUC, paired over the same users (and seeds): each user's difference averaged over the seeds, their mean with its 95% bootstrap interval over users, and the two-sided Wilcoxon signed-rank p-value of the per-user differences. A difference is called only where its interval excludes zero. DeLong's test compares the pooled ROCs; it takes windows as independent trials, which overlapping windows (size > 1) are not, so its p-value is a lower bound. No correction for the number of comparisons."

// summaryNotes explain the summary's figures.
func summaryNotes(run *evaluate.Run) []string {
	seeds := "one seed"
	if IsMultiSeed(run) {
		seeds = fmt.Sprintf("seeds %s folded in: each user's figure averaged over the seeds, pooled figures pooling every seed's windows", seedsText(run.Seeds))
	}
	notes := []string{
		"Per result and window of consecutive actions; every figure with its 95% bootstrap interval over users (" + seeds + "), rates as fractions.",
		"Mean per-user AUC and EER: each user's windows against the user's own threshold, averaged over users (the published convention). Pooled EER, FNMR at FMR 1% and ZeroFMR (FNMR at FMR 0): every user's windows against one global threshold, as the live service decides. HTER: the threshold chosen at the pooled EER of the first half of every test stream, applied to the second half.",
	}
	if len(run.Results) > 1 {
		notes = append(notes, "The best mean per-user AUC of a window is in bold only where its paired interval of the difference to every other result, the runner-up included, excludes zero.")
	}
	return notes
}

// sequentialNote says where the sequential figures are.
func sequentialNote(run *evaluate.Run) string {
	for _, r := range run.Results {
		for _, s := range r.Summary {
			if s.Stats != nil && s.Stats.Sequential != nil {
				return "ANIA and ANGA: the decision engine's average numbers of impostor and genuine actions before a rejection, under rule " + s.Stats.Sequential.Rule + "."
			}
		}
	}
	return "ANIA and ANGA (the average numbers of impostor and genuine actions before a sequential decision rejects) come from the decision engine; this run has none, so their column is empty."
}

// rankingText says which result is best at a window, and whether it can
// be told from the others.
func rankingText(r evaluate.Ranking) string {
	at := fmt.Sprintf("Window of %s", actions(r.Window))
	if r.Window == 0 {
		at = "Over every cell"
	}
	if r.Distinct {
		return fmt.Sprintf("%s: %s is best (mean per-user AUC), its interval against every other excludes zero.", at, r.Best)
	}
	return fmt.Sprintf("%s: %s has the highest mean per-user AUC, but cannot be told from %s (paired interval includes zero): no best.", at, r.Best, strings.Join(r.Ties, ", "))
}

// settingsText shows a run's recorded settings.
func settingsText(s *evaluate.RunSettings) string {
	if s == nil {
		return ""
	}
	var parts []string
	add := func(k string, v any) {
		if str := formatValue(v); str != "" && str != "[]" {
			parts = append(parts, k+" "+str)
		}
	}
	add("mode", string(s.Mode))
	add("preset", s.Preset)
	add("presets", strings.Join(s.Presets, ", "))
	add("classifier", s.Classifier)
	add("classifiers", strings.Join(s.Classifiers, ", "))
	add("protocol", s.Protocol)
	if len(s.Windows) > 0 {
		ws := make([]string, len(s.Windows))
		for i, w := range s.Windows {
			ws[i] = strconv.Itoa(w)
		}
		add("windows", strings.Join(ws, ","))
	}
	add("seeds", seedsText(s.Seeds))
	add("params", paramsString(s.Params))
	keys := make([]string, 0, len(s.Other))
	for k := range s.Other {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		add(strings.ReplaceAll(k, "_", " "), s.Other[k])
	}
	add("intervals", fmt.Sprintf("%g%% bootstrap over %s, %d resamples, seed %d", 100*s.Statistics.Confidence, s.Statistics.Unit, s.Statistics.Resamples, s.Statistics.Seed))
	return strings.Join(parts, " · ")
}

var (
	svgRoot  = regexp.MustCompile(`<svg width="[^"]*" height="[^"]*"`)
	svgXMLNS = regexp.MustCompile(`\s+xmlns(:xlink)?="[^"]*"`)
)

// inlineSVG turns a rendered SVG into markup for the page: without the XML
// prolog and namespace declarations (HTML puts <svg> in its namespace), and
// with the fixed size replaced by a class and the figure's aspect ratio, so
// that it scales to the width of its figure.
func inlineSVG(svg []byte, caption string, st Style) template.HTML {
	s := string(svg)
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	if end := strings.Index(s, ">"); end > 0 {
		s = svgXMLNS.ReplaceAllLiteralString(s[:end], "") + s[end:]
	}
	ratio := fmt.Sprintf("%.4g / %.4g", float64(st.Width/vg.Inch), float64(st.Height/vg.Inch))
	s = svgRoot.ReplaceAllLiteralString(s, `<svg class="plot" style="aspect-ratio: `+ratio+`" role="img" aria-label="`+template.HTMLEscapeString(caption)+`"`)
	return template.HTML(s) // #nosec: rendered by vgsvg, which escapes every text
}

// lede is the line under the title: the command, input files, seed, users.
func lede(run *evaluate.Run) []string {
	var out []string
	cmd := run.Manifest.Command
	if len(cmd) > 1 {
		var words []string
		for _, a := range cmd[1:] {
			if strings.HasPrefix(a, "-") {
				break
			}
			words = append(words, a)
		}
		if len(words) > 0 {
			out = append(out, strings.Join(words, " "))
		}
	}
	for _, in := range run.Manifest.Inputs {
		out = append(out, filepath.Base(in.Path))
	}
	if IsMultiSeed(run) {
		out = append(out, "seeds "+seedsText(run.Seeds))
	} else {
		out = append(out, fmt.Sprintf("seed %d", run.Manifest.Seed))
	}
	users := 0
	for _, r := range run.Results {
		for _, s := range r.Summary {
			users = max(users, s.Users)
		}
	}
	if users > 0 {
		out = append(out, fmt.Sprintf("%d users", users))
	}
	if n := len(run.Results); n > 1 {
		out = append(out, fmt.Sprintf("%d results", n))
	}
	return out
}

// withSeeds replaces the seed setting by the run's seeds.
func withSeeds(ss []setting, seeds []int64) []setting {
	out := make([]setting, 0, len(ss))
	for _, s := range ss {
		if s.key == "seed" {
			s = setting{"seeds", seedsText(seeds)}
		}
		out = append(out, s)
	}
	return out
}

// showSettings joins settings as "classifier rf · train fraction 0.667".
func showSettings(ss []setting) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = strings.ReplaceAll(s.key, "_", " ") + " " + s.value
	}
	return strings.Join(parts, " · ")
}

// summaryTable lays out the summary for people: one row per result and
// window, each figure with its interval; the published figures, where
// known, in rows of their own. The best mean per-user AUC of a window is
// bold only where the run's ranking calls it distinct.
func summaryTable(run *evaluate.Run, names resultNames, slugs []string, pub *Published, same bool) *htmlTable {
	t := &htmlTable{Columns: []string{"result", "window", "mean per-user AUC", "mean per-user EER", "pooled EER", "FNMR at FMR 1%", "ZeroFMR", "HTER", "ANIA / ANGA"}}
	t.Numeric = []bool{false, true, true, true, true, true, true, true, true}
	best := map[int]string{}
	for _, r := range run.Rankings {
		if r.Kind == "compare" && r.Distinct {
			best[r.Window] = r.Best
		}
	}
	na := htmlCell{Text: "—", Class: "na"}
	est := func(e evaluate.Estimate) htmlCell {
		c := htmlCell{Text: fixed3(e.Value)}
		switch {
		case e.HasInterval():
			c.Sub = "[" + fixed3(*e.Lo) + ", " + fixed3(*e.Hi) + "]"
		case e.NA != "":
			c.Sub, c.Title = "no interval", e.NA
		}
		return c
	}
	for i, r := range run.Results {
		for _, s := range sortedSummary(r.Summary) {
			row := htmlRow{Head: names.Short[i], Href: "#result-" + slugs[i]}
			cells := []htmlCell{{Text: strconv.Itoa(s.Window)}}
			st := s.Stats
			if st == nil {
				cells = append(cells, htmlCell{Text: fixed3(s.MeanAUC)}, htmlCell{Text: fixed3(s.MeanEER)}, na, na, na, na, na)
			} else {
				auc := est(st.MeanAUC)
				if best[s.Window] == evaluate.ResultName(r) {
					auc.Class = "best"
				}
				cells = append(cells, auc, est(st.MeanEER), est(st.Pooled.EER), est(st.Pooled.FNMRAtFMR1), est(st.Pooled.ZeroFMR))
				if h := st.Pooled.HTER; h != nil {
					cells = append(cells, est(h.HTER))
				} else {
					cells = append(cells, htmlCell{Text: "n/a", Class: "na", Title: st.Pooled.HTERNA})
				}
				if q := st.Sequential; q != nil {
					cells = append(cells, htmlCell{Text: fixed3(q.ANIA.Value) + " / " + fixed3(q.ANGA.Value)})
				} else {
					cells = append(cells, na)
				}
			}
			row.Cells = cells
			t.Rows = append(t.Rows, row)
		}
	}
	if pub != nil {
		note := pub.Source
		if !same {
			note += "; other file content"
		}
		ws := make([]int, 0, len(pub.AUC))
		for w := range pub.AUC {
			ws = append(ws, w)
		}
		sort.Ints(ws)
		for _, w := range ws {
			if !slices.Contains(allSummaryWindows(run.Results), w) {
				continue
			}
			v := pub.AUC[w]
			t.Rows = append(t.Rows, htmlRow{Head: "published", Note: note, Class: "published", Cells: []htmlCell{
				{Text: strconv.Itoa(w)}, {Text: fixed3(v[0]), Sub: "sd over users " + fixed3(v[1])}, na, na, na, na, na, na}})
		}
	}
	return t
}

// windowSummary is the line a collapsed window shows: its users and the
// worst of them.
func windowSummary(w int, users []evaluate.UserResult) string {
	s := fmt.Sprintf("Window of %s: %d users", actions(w), len(users))
	sorted := append([]evaluate.UserResult(nil), users...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].AUC < sorted[j].AUC })
	var worst []string
	for i := 0; i < len(sorted) && i < 3; i++ {
		worst = append(worst, fmt.Sprintf("%s %s", userName(sorted[i].User), fixed3(sorted[i].AUC)))
	}
	if len(worst) > 0 {
		s += "; lowest AUC: " + strings.Join(worst, ", ")
	}
	return s
}

// userTable lists users worst AUC first, as the per-user ROC names them.
func userTable(users []evaluate.UserResult) *htmlTable {
	sorted := append([]evaluate.UserResult(nil), users...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].AUC < sorted[j].AUC })
	t := &htmlTable{Columns: []string{"user", "AUC", "EER", "genuine windows", "impostor windows", "training s"},
		Numeric: []bool{false, true, true, true, true, true}}
	for _, u := range sorted {
		row := htmlRow{Head: userName(u.User)}
		for _, v := range []string{fixed3(u.AUC), fixed3(u.EER),
			strconv.Itoa(u.Genuine), strconv.Itoa(u.Impostor), formatNumber(u.TrainSecs)} {
			row.Cells = append(row.Cells, htmlCell{Text: v})
		}
		if u.AUC < 0.5 {
			row.Class = "below-chance"
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func skippedTable(r evaluate.Result) *htmlTable {
	t := &htmlTable{Columns: []string{"user", "window", "reason"}, Numeric: []bool{false, true, false}}
	for _, s := range r.Skipped {
		w := "all"
		if s.Window > 0 {
			w = strconv.Itoa(s.Window)
		}
		t.Rows = append(t.Rows, htmlRow{Head: userName(s.User), Cells: []htmlCell{{Text: w}, {Text: s.Reason}}})
	}
	return t
}

func inputTable(in []evaluate.Input) *htmlTable {
	t := &htmlTable{Columns: []string{"path", "SHA-256", "bytes"}, Numeric: []bool{false, false, true}}
	for _, f := range in {
		t.Rows = append(t.Rows, htmlRow{Head: f.Path, Cells: []htmlCell{{Text: f.SHA256, Class: "hash"}, {Text: strconv.FormatInt(f.Bytes, 10)}}})
	}
	return t
}

// sweepTable has one row per point, by trees then window.
func sweepTable(sw []evaluate.SweepPoint) *htmlTable {
	t := &htmlTable{Columns: []string{"trees", "window", "mean per-user AUC", "mean per-user EER", "pooled EER", "seconds"},
		Numeric: []bool{true, true, true, true, true, true}}
	for _, p := range sortedSweep(sw) {
		trees, window := optional(p.Trees), optional(p.Window)
		if p.Trees == 0 && p.Param == "trees" {
			trees = formatNumber(p.Value)
		}
		if p.Window == 0 && p.Param == "window" {
			window = formatNumber(p.Value)
		}
		row := htmlRow{Head: trees}
		auc, eer, pooled := htmlCell{Text: fixed3(p.MeanAUC)}, htmlCell{Text: fixed3(p.MeanEER)}, htmlCell{Text: "—", Class: "na"}
		if st := p.Stats; st != nil {
			auc.Text, eer.Text, pooled.Text, pooled.Class = estText(st.MeanAUC), estText(st.MeanEER), fixed3(st.Pooled.EER.Value), ""
		}
		switch {
		case p.Best:
			auc.Class = "best"
			row.Note = "highest"
		case p.TiesBest:
			row.Note = "indistinguishable from the highest"
		}
		row.Cells = append(row.Cells, htmlCell{Text: window}, auc, eer, pooled, htmlCell{Text: formatNumber(p.Seconds)})
		t.Rows = append(t.Rows, row)
	}
	return t
}

// sweepBest names the sweep's best cell and those indistinguishable from
// it, from the run's sweep ranking.
func sweepBest(run *evaluate.Run) string {
	for _, r := range run.Rankings {
		if r.Kind != "sweep" {
			continue
		}
		var best *evaluate.SweepPoint
		for i := range run.Sweeps {
			if run.Sweeps[i].Best {
				best = &run.Sweeps[i]
			}
		}
		figure := ""
		if best != nil && best.Stats != nil {
			figure = " (" + estText(best.Stats.MeanAUC) + ")"
		}
		if r.Distinct {
			return fmt.Sprintf("Highest mean per-user AUC: %s%s; its paired interval against every other cell excludes zero.", r.Best, figure)
		}
		return fmt.Sprintf("Highest mean per-user AUC: %s%s. It cannot be told from %d other cell(s), whose paired 95%% interval of the difference to it includes zero: %s.",
			r.Best, figure, len(r.Ties), strings.Join(r.Ties, "; "))
	}
	return ""
}

func thresholdTable(ts []evaluate.ThresholdPoint) *htmlTable {
	t := &htmlTable{Columns: []string{"window", "rule", "threshold", "FMR", "FNMR",
		"impostor actions to rejection", "genuine actions to rejection", "impostors rejected", "genuine rejected"},
		Numeric: []bool{true, false, true, true, true, true, true, true, true}}
	for _, g := range thresholdGroups(ts) {
		for _, p := range g.pts {
			rule := p.Rule
			switch p.Rule {
			case "fmr":
				rule = "FMR ≤ " + shortNumber(p.Target)
			case "quantile":
				rule = "quantile " + shortNumber(p.Target)
			case "eer":
				rule = "EER (" + fixed3(p.Target) + ")"
			}
			row := htmlRow{Head: optional(g.window), Cells: []htmlCell{{Text: rule}}}
			for _, v := range []float64{p.Threshold, p.FMR, p.FNMR, p.ImpostorActionsToRejection,
				p.GenuineActionsToRejection, p.ImpostorsRejected, p.GenuineRejected} {
				row.Cells = append(row.Cells, htmlCell{Text: formatNumber(v)})
			}
			t.Rows = append(t.Rows, row)
		}
	}
	return t
}

func optional(v int) string {
	if v == 0 {
		return ""
	}
	return strconv.Itoa(v)
}

// formatNumber rounds for people: whole numbers as integers, others with
// three significant decimals below 10, one below 1000, none above.
func formatNumber(v float64) string {
	switch a := math.Abs(v); {
	case !isFinite(v):
		return "n/a"
	case v == math.Trunc(v) && a < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a < 10:
		return strconv.FormatFloat(v, 'f', 3, 64)
	case a < 1000:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// shellJoin quotes args the way a POSIX shell reads them back, so the
// command line in the report can be pasted to repeat the run.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./:,+@%") == "" {
			q[i] = a
			continue
		}
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

var pageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"inc": func(i int) int { return i + 1 },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
*, *::before, *::after { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 1.5em auto; max-width: 1240px; padding: 0 1.2em; color: #222; line-height: 1.45; }
h1, h2, h3, p, dd, summary, figcaption, nav a { overflow-wrap: anywhere; }
h1 { font-size: 1.6em; margin: 0 0 .2em; }
h2 { border-bottom: 2px solid #ddd; padding-bottom: .2em; margin-top: 1.8em; }
h3 { margin-top: 1.3em; }
p.lede { color: #555; margin-top: 0; }
p.lede span + span::before { content: " · "; color: #aaa; }
p.settings { background: #f5f7fa; border-left: 3px solid #9ab; padding: .35em .7em; }
nav ul { display: flex; flex-wrap: wrap; gap: .3em 1.2em; padding: 0; list-style: none; margin: .6em 0; }
table { border-collapse: collapse; margin: .6em 0; font-size: .9em; }
th, td { border: 1px solid #d4d4d4; padding: .25em .6em; text-align: left; vertical-align: top; overflow-wrap: normal; }
tbody th { min-width: 8em; }
thead th { background: #f0f3f7; }
tbody th { font-weight: normal; background: #fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.best { font-weight: bold; }
td .ci { display: block; font-size: .82em; color: #666; font-weight: normal; }
td.na { color: #aaa; text-align: center; }
td.hash { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .85em; word-break: break-all; min-width: 12em; }
tr.published th, tr.published td { background: #fff8e6; font-style: italic; }
tr.below-chance th, tr.below-chance td { background: #fdecea; }
.note { color: #777; font-size: .85em; display: block; }
p.empty { color: #777; font-style: italic; }
p.incomplete { background: #fff3cd; border-left: 3px solid #d9a300; padding: .35em .7em; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .9em; }
dl.manifest { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .2em 1em; }
dl.manifest dt { font-weight: bold; }
dl.manifest dd { margin: 0; min-width: 0; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 460px), 1fr)); gap: 1em 1.5em; margin: .8em 0; }
figure { margin: 0; min-width: 0; }
figure.single { max-width: 820px; }
.figures.wide { grid-template-columns: minmax(0, 860px); }
svg.plot { display: block; width: 100%; height: auto; border: 1px solid #eee; }
svg.plot text { font-family: "Liberation Sans", Arimo, Arial, Helvetica, sans-serif !important; }
figcaption { font-size: .85em; color: #555; margin-top: .3em; }
details { border: 1px solid #e2e2e2; border-radius: 4px; margin: .6em 0; padding: .3em .8em; }
details[open] { padding-bottom: .8em; }
summary { cursor: pointer; font-weight: 600; }
.scroll { overflow-x: auto; max-width: 100%; }
</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<p class="lede">{{range .Lede}}<span>{{.}}</span>{{end}}</p>
<nav><ul>
{{- range .Holdouts}}<li><a href="#{{.ID}}">Held-out evaluation</a></li>{{end}}
{{- if .Summary}}<li><a href="#summary">Summary</a></li>{{end}}
{{- if or .Differences .DiffAll}}<li><a href="#differences">Differences</a></li>{{end}}
{{- if .Compare}}<li><a href="#compare">Comparison</a></li>{{end}}
{{- range .Results}}<li><a href="#{{.ID}}">{{.Label}}</a></li>{{end}}
{{- range .Evals}}<li><a href="#{{.ID}}">{{.Title}}</a></li>{{end}}
{{- if .Sweeps}}<li><a href="#sweeps">Parameter sweep</a></li>{{end}}
{{- if .Thresholds}}<li><a href="#thresholds">Alarm thresholds</a></li>{{end}}
<li><a href="#manifest">How this run was made</a></li>
</ul></nav>
</header>
{{if .Incomplete}}<p class="incomplete" id="incomplete">{{.Incomplete}}</p>{{end}}
{{if .Empty}}<p class="empty" id="empty">This run has no results, sweeps, thresholds, continuous or attack evaluations.</p>{{end}}
{{- range .Holdouts}}
<section id="{{.ID}}">
<h2>{{.Label}}</h2>
<p class="settings">{{.Settings}}</p>
<p class="note">{{.Facts}}</p>
{{template "table" .Summary}}
{{if .Unlabelled}}<p class="note">{{.Unlabelled}}</p>{{end}}
{{if .Figures}}<div class="figures">{{range .Figures}}{{template "figure" .}}{{end}}</div>{{end}}
<details>
<summary>{{.UsersNote}} ({{len .Users.Rows}})</summary>
{{template "table" .Users}}
</details>
{{- with .PerSeed}}
<details>
<summary>Every seed ({{len .Rows}})</summary>
{{template "table" .}}
</details>
{{- end}}
</section>
{{- end}}
{{- if .Summary}}
<section id="summary">
<h2>Summary</h2>
{{range .SummaryNote}}<p>{{.}}</p>{{end}}
{{if .Common}}<p class="settings">Settings{{if gt (len .Results) 1}} common to all results{{end}}: {{.Common}}</p>{{end}}
{{template "table" .Summary}}
{{if .Published}}<p class="note">{{.Published}}</p>{{end}}
{{if .Sequential}}<p class="note" id="sequential">{{.Sequential}}</p>{{end}}
{{range .Rankings}}<p class="ranking">{{.}}</p>{{end}}
</section>
{{- end}}
{{- if or .Differences .DiffAll}}
<section id="differences">
<h2>Differences</h2>
<p>{{.DiffNote}}</p>
{{- if .DiffAll}}
{{if .Differences.Rows}}<p>Differences whose 95% interval excludes 0 ({{len .Differences.Rows}} of {{len .DiffAll.Rows}}):</p>
{{template "table" .Differences}}{{else}}<p>None of the {{len .DiffAll.Rows}} differences has a 95% interval that excludes 0.</p>{{end}}
<details><summary>Every difference ({{len .DiffAll.Rows}})</summary>
{{template "table" .DiffAll}}
</details>
{{- else}}
{{template "table" .Differences}}
{{- end}}
</section>
{{- end}}
{{- if .Compare}}
<section id="compare">
<h2>Comparison</h2>
{{if .CompareNote}}<p class="note">{{.CompareNote}}</p>{{end}}
{{- range .Compare}}
<h3>Window of {{.Window}} action{{if ne .Window 1}}s{{end}}</h3>
<div class="figures">{{range .Figures}}{{template "figure" .}}{{end}}</div>
{{- end}}
</section>
{{- end}}
{{- range .Results}}
<section id="{{.ID}}">
<h2>{{.Label}}</h2>
{{if .Settings}}<p class="settings">{{.Settings}}</p>{{end}}
<p class="note">{{.Facts}}</p>
{{- with .Skipped}}
<h3>Users left out</h3>
{{template "table" .}}
{{- end}}
{{if .Figures}}<div class="figures">{{range .Figures}}{{template "figure" .}}{{end}}</div>{{end}}
{{- range .Windows}}
<details>
<summary>{{.Summary}}</summary>
{{with .Figure}}<figure class="single" id="fig-{{.Name}}">{{.SVG}}<figcaption><strong>{{.Title}}.</strong> {{.Caption}}</figcaption></figure>{{end}}
{{template "table" .Table}}
</details>
{{- end}}
</section>
{{- end}}
{{- range .Evals}}
<section id="{{.ID}}">
<h2>{{.Title}}</h2>
<p>{{.Note}}</p>
{{template "table" .Main}}
{{if .Figures}}<div class="figures wide">{{range .Figures}}{{template "figure" .}}{{end}}</div>{{end}}
{{- with .Targets}}
<h3>Issue 18's targets</h3>
{{template "table" .}}
{{- end}}
<details><summary>Deployments</summary>
{{template "table" .Deployments}}
</details>
</section>
{{- end}}
{{- if .Sweeps}}
<section id="sweeps">
<h2>Parameter sweep</h2>
{{if .Settings}}<p class="settings">{{.Settings}}</p>{{end}}
{{if .SweepBest}}<p>{{.SweepBest}}</p>{{end}}
<div class="figures wide">{{range .SweepFigs}}{{template "figure" .}}{{end}}</div>
<details><summary>Every point of the sweep ({{len .Sweeps.Rows}})</summary>
{{template "table" .Sweeps}}
</details>
</section>
{{- end}}
{{- if .Thresholds}}
<section id="thresholds">
<h2>Alarm thresholds</h2>
<p>An alarm is raised when the score of a window of consecutive actions falls below the threshold p.</p>
<div class="figures">{{range .ThreshFigs}}{{template "figure" .}}{{end}}</div>
<details><summary>Every threshold ({{len .Thresholds.Rows}})</summary>
{{template "table" .Thresholds}}
</details>
</section>
{{- end}}
<section id="manifest">
<h2>How this run was made</h2>
<dl class="manifest">
<dt>Command</dt><dd><code>{{if .CommandLine}}{{.CommandLine}}{{else}}(not recorded){{end}}</code></dd>
{{if .Settings}}<dt>Settings</dt><dd>{{.Settings}}</dd>{{end}}
{{if .Seeds}}<dt>Seeds</dt><dd>{{.Seeds}}</dd>{{else}}<dt>Seed</dt><dd>{{.Seed}}</dd>{{end}}
<dt>Version</dt><dd>{{if .Version}}{{.Version}}{{else}}(not recorded){{end}}</dd>
<dt>Go version</dt><dd>{{if .GoVersion}}{{.GoVersion}}{{else}}(not recorded){{end}}</dd>
<dt>Started</dt><dd>{{.Started}}</dd>
</dl>
<h3>Input files</h3>
{{if .Inputs.Rows}}{{template "table" .Inputs}}{{else}}<p class="empty">No input files recorded.</p>{{end}}
</section>
<footer><p class="note">Generated by <code>mouseauth report</code> from run.json.</p></footer>
</body>
</html>
{{define "table"}}<div class="scroll"><table>
<thead>
{{- if .Groups}}<tr>{{range .Groups}}<th colspan="{{.Span}}">{{.Label}}</th>{{end}}</tr>{{end}}
<tr>{{$num := .Numeric}}{{range $i, $c := .Columns}}<th{{if index $num $i}} class="num"{{end}}>{{$c}}</th>{{end}}</tr>
</thead>
<tbody>
{{- $num := .Numeric}}
{{- range .Rows}}
<tr{{if .Class}} class="{{.Class}}"{{end}}><th scope="row">{{if .Href}}<a href="{{.Href}}">{{.Head}}</a>{{else}}{{.Head}}{{end}}{{if .Note}}<span class="note">{{.Note}}</span>{{end}}</th>
{{- range $i, $c := .Cells}}<td class="{{if index $num (inc $i)}}num{{end}}{{if $c.Class}} {{$c.Class}}{{end}}"{{if $c.Title}} title="{{$c.Title}}"{{end}}>{{$c.Text}}{{if $c.Sub}}<span class="ci">{{$c.Sub}}</span>{{end}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table></div>{{end}}
{{define "figure"}}<figure id="fig-{{.Name}}">{{.SVG}}<figcaption><strong>{{.Title}}.</strong> {{.Caption}}</figcaption></figure>{{end}}`))
