package reports

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/mouseauth/mouseauth/evaluate"
)

// Tables, sections, figures and report parts of the continuous and attack
// evaluations (`evaluate continuous`, `evaluate attack`).

// FigureTable is the figures of a continuous or attack evaluation, tidy:
// one row per deployment (and attack) and metric, with the mean over
// seeds of the mean over users, the sd over seeds, the 95% interval over
// users and seeds, the users it is defined for and the worst user-seed
// value.
func FigureTable(figs []evaluate.Figure) *Table {
	t := &Table{Columns: []string{"deployment", "attack", "metric", "mean", "sd", "lo", "hi", "users", "max"}}
	for _, f := range figs {
		t.Add(f.Deployment, f.Attack, f.Metric, f.Mean, f.SD, f.Lo, f.Hi, f.Users, f.Max)
	}
	return t
}

// pm is "mean ± sd [lo, hi]" for people, with digits fitting the size
// (no sd for one seed).
func pm(f evaluate.Figure) string {
	if math.IsNaN(f.Mean) {
		return "n/a"
	}
	d := 3
	if math.Abs(f.Mean) >= 10 {
		d = 1
	}
	s := fmt.Sprintf("%.*f", d, f.Mean)
	if len(f.Values) > 1 {
		s += fmt.Sprintf(" ± %.*f", d, f.SD)
	}
	if !math.IsNaN(f.Lo) {
		s += fmt.Sprintf(" [%.*f, %.*f]", d, f.Lo, d, f.Hi)
	}
	return s
}

// ContinuousPivot is the continuous figures for people: a row per metric,
// a column per deployment, each cell "mean ± sd over seeds [95% interval
// over users and seeds]".
func ContinuousPivot(r *evaluate.ContinuousResult) *Table {
	t := &Table{Columns: []string{"metric"}}
	for _, d := range r.Deployments {
		t.Columns = append(t.Columns, d.Name)
	}
	for _, m := range evaluate.ContinuousMetrics {
		row := []any{m}
		defined := false
		for _, d := range r.Deployments {
			f, ok := r.Find(d.Name, m)
			if ok && !math.IsNaN(f.Mean) {
				defined = true
			}
			row = append(row, pm(f))
		}
		if defined {
			t.Add(row...)
		}
	}
	return t
}

// ContinuousUserTable is every seed's per-user counts and figures, tidy.
func ContinuousUserTable(r *evaluate.ContinuousResult) *Table {
	t := &Table{Columns: []string{"seed", "deployment", "user", "genuine_sessions", "genuine_actions", "genuine_accepted",
		"genuine_lockouts", "genuine_hours", "impostor_sequences", "impostor_actions", "impostor_accepted",
		"impostor_accepted_unjudged", "impostor_lockouts", "impostor_locked_actions", "impostor_never_locked"}}
	t.Columns = append(t.Columns, evaluate.ContinuousMetrics...)
	for _, u := range r.Users {
		row := []any{u.Seed, u.Deployment, u.User, u.GenuineSessions, u.GenuineActions, u.GenuineAccepted, u.GenuineLockouts,
			u.GenuineHours, u.ImpostorSequences, u.ImpostorActions, u.ImpostorAccepted, u.ImpostorAcceptedUnjudged,
			u.ImpostorLockouts, u.ImpostorLockedActions, u.ImpostorNeverLocked}
		for _, m := range evaluate.ContinuousMetrics {
			row = append(row, u.Metric(m))
		}
		t.Add(row...)
	}
	return t
}

// DeploymentTable says what each deployment is: preset, policy string,
// whether unjudged actions count as accepted and decisions carry the
// score, gates.
func DeploymentTable(ds []evaluate.Deployment, gates bool) *Table {
	t := &Table{Columns: []string{"deployment", "preset", "policy", "accept_unjudged", "score_to_client", "gates"}}
	for _, d := range ds {
		g := "no"
		switch {
		case d.Gates && gates:
			g = "yes"
		case d.Gates:
			g = "none given"
		}
		t.Add(d.Name, string(d.Preset), d.Policy.String(), d.AcceptUnjudged, d.Oracle, g)
	}
	return t
}

// AttackPivot is the attack figures for people: a row per attack and
// deployment with the share of actions accepted, accepted actions per
// session, the share of sessions alerted, the actions up to the alert,
// the share of sessions that pass, and the most actions accepted in one
// session.
func AttackPivot(r *evaluate.AttackResult) *Table {
	metrics := []string{evaluate.MetricAcceptedRate, evaluate.MetricAcceptedPerSession, evaluate.MetricAlerted,
		evaluate.MetricAttackANIA, evaluate.MetricSuccess}
	t := &Table{Columns: append(append([]string{"attack", "deployment"}, metrics...), "max_accepted")}
	for _, a := range r.Attacks {
		for _, d := range r.Deployments {
			row := []any{a, d.Name}
			for _, m := range metrics {
				f, _ := r.Find(d.Name, a, m)
				row = append(row, pm(f))
			}
			f, _ := r.Find(d.Name, a, evaluate.MetricMaxAccepted)
			row = append(row, f.Max)
			t.Add(row...)
		}
	}
	return t
}

// AttackUserTable is every seed's per-victim counts and figures, tidy.
func AttackUserTable(r *evaluate.AttackResult) *Table {
	t := &Table{Columns: []string{"seed", "deployment", "attack", "user", "sessions", "actions", "accepted", "accepted_unjudged",
		"alerted", "alert_actions", "passed", "max_accepted", "probes", "probes_accepted"}}
	for _, u := range r.Users {
		t.Add(u.Seed, u.Deployment, u.Attack, u.User, u.Sessions, u.Actions, u.Accepted, u.AcceptedUnjudged, u.Alerted,
			u.AlertActions, u.Passed, u.MaxAccepted, u.Probes, u.ProbesAccepted)
	}
	return t
}

// TargetTable is issue 18's targets as checked.
func TargetTable(cs []evaluate.TargetCheck) *Table {
	t := &Table{Columns: []string{"deployment", "target", "met", "measured"}}
	for _, c := range cs {
		t.Add(c.Deployment, c.Target, c.Met, c.Measured)
	}
	return t
}

// ContinuousOutput is what `evaluate continuous` prints: the figures tidy
// (first: what CSV prints), the pivot and the deployments for people, and
// the per-user rows (JSON and CSV only).
func ContinuousOutput(r *evaluate.ContinuousResult) Sections {
	return Sections{
		{Name: "summary", Title: "Figures", Table: FigureTable(r.Summary), Hidden: true},
		{Name: "figures", Title: r.Data + ": " + overSeeds(r.Seeds, "users"), Table: ContinuousPivot(r)},
		{Name: "deployments", Title: "Deployments (" + r.Sessions + ")", Table: DeploymentTable(r.Deployments, r.Gates)},
		{Name: "users", Title: "Per seed, deployment and user", Table: ContinuousUserTable(r), Hidden: true},
	}
}

// AttackOutput is what `evaluate attack` prints: the figures tidy (what
// CSV prints), the pivot, issue 18's targets and the deployments for
// people, and the per-victim rows (JSON and CSV only).
func AttackOutput(r *evaluate.AttackResult) Sections {
	return Sections{
		{Name: "summary", Title: "Figures", Table: FigureTable(r.Summary), Hidden: true},
		{Name: "attacks", Title: fmt.Sprintf("%s: sessions of %d actions, %s", r.Data, r.Length, overSeeds(r.Seeds, "victims")), Table: AttackPivot(r)},
		{Name: "targets", Title: "Issue 18's targets", Table: TargetTable(r.Targets)},
		{Name: "deployments", Title: "Deployments", Table: DeploymentTable(r.Deployments, r.Gates)},
		{Name: "users", Title: "Per seed, deployment, attack and victim", Table: AttackUserTable(r), Hidden: true},
	}
}

// continuousTables are the run's continuous and attack tables for
// [Tables].
func continuousTables(run *evaluate.Run) []NamedTable {
	var out []NamedTable
	for i, r := range run.Continuous {
		s := suffix(i)
		out = append(out, NamedTable{"continuous" + s, "Continuous authentication: " + r.Data, FigureTable(r.Summary)},
			NamedTable{"continuous_users" + s, "Continuous authentication per seed and user: " + r.Data, ContinuousUserTable(&r)})
	}
	for i, r := range run.Attacks {
		s := suffix(i)
		out = append(out, NamedTable{"attacks" + s, "Attacks: " + r.Data, FigureTable(r.Summary)},
			NamedTable{"attack_targets" + s, "Issue 18's targets: " + r.Data, TargetTable(r.Targets)},
			NamedTable{"attack_users" + s, "Attacks per seed and victim: " + r.Data, AttackUserTable(&r)})
	}
	return out
}

func suffix(i int) string {
	if i == 0 {
		return ""
	}
	return fmt.Sprintf("_%d", i+1)
}

// dotPanel draws one point per (group, series): groups along x, series
// side by side, each point the mean with its 95% interval as an error bar
// (a dot-and-whisker plot: intervals show where bars would hide them).
// get returns the figure of a group and series; leg, if set, gets an entry
// per series.
func dotPanel(st Style, ylabel string, groups, series []string, get func(g, s int) (evaluate.Figure, bool), leg *legend) (*plot.Plot, error) {
	p := newPlot(st, "", ylabel)
	spread := 0.6 / float64(max(1, len(series)))
	for si, name := range series {
		off := (float64(si) - float64(len(series)-1)/2) * spread
		var pts plotter.XYs
		var errs plotter.YErrors
		for gi := range groups {
			f, ok := get(gi, si)
			if !ok || math.IsNaN(f.Mean) {
				continue
			}
			pts = append(pts, plotter.XY{X: float64(gi) + off, Y: f.Mean})
			lo, hi := f.Lo, f.Hi
			if math.IsNaN(lo) {
				lo, hi = f.Mean, f.Mean
			}
			errs = append(errs, struct{ Low, High float64 }{f.Mean - lo, hi - f.Mean})
		}
		if len(pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle.Color = colour(si)
		sc.GlyphStyle.Radius = vg.Points(1.6 * st.line())
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{pts, errs})
		if err != nil {
			return nil, err
		}
		eb.LineStyle.Color = colour(si)
		eb.LineStyle.Width = vg.Points(st.line())
		p.Add(eb, sc)
		if leg != nil {
			leg.add(name, sc)
		}
	}
	p.NominalX(groups...)
	p.X.Min, p.X.Max = -0.5, float64(len(groups))-0.5
	p.Y.Min = 0
	return p, nil
}

// continuousFigures draws, per continuous result, ANIA and the first
// lockout (impostor actions) and the false lockouts per 1,000 genuine
// actions, per deployment.
func continuousFigures(run *evaluate.Run, st Style) ([]Figure, error) {
	var figs []Figure
	for i, r := range run.Continuous {
		names := make([]string, len(r.Deployments))
		for k, d := range r.Deployments {
			names[k] = d.Name
		}
		leg := &legend{}
		imp, err := dotPanel(st, "impostor actions before a lockout", []string{"ANIA", "first lockout"}, names,
			func(g, s int) (evaluate.Figure, bool) {
				return r.Find(names[s], []string{evaluate.MetricANIA, evaluate.MetricFirstLockout}[g])
			}, leg)
		if err != nil {
			return nil, fmt.Errorf("continuous[%d]: %w", i, err)
		}
		gen, err := dotPanel(st, "genuine false lockouts per 1,000 actions", []string{"false lockouts"}, names,
			func(_, s int) (evaluate.Figure, bool) { return r.Find(names[s], evaluate.MetricFalseAlarms1000) }, nil)
		if err != nil {
			return nil, fmt.Errorf("continuous[%d]: %w", i, err)
		}
		outer, _ := frame(st, leg, imp, gen)
		figs = append(figs, Figure{
			Name: "continuous" + suffix(i),
			Caption: fmt.Sprintf("%s: impostor actions per lockout (ANIA) and up to the first lockout, and genuine false lockouts per 1,000 actions, per deployment; mean over seeds %s of the mean over users, bars the 95%% interval over users and seeds.",
				r.Data, seedsText(r.Seeds)),
			Title: "Continuous authentication: " + r.Data,
			Plot:  outer,
		})
	}
	return figs, nil
}

// attackFigures draws, per attack result, the share of attack actions
// accepted and of attack sessions alerted, per attack and deployment.
func attackFigures(run *evaluate.Run, st Style) ([]Figure, error) {
	var figs []Figure
	for i, r := range run.Attacks {
		names := make([]string, len(r.Deployments))
		for k, d := range r.Deployments {
			names[k] = d.Name
		}
		leg := &legend{}
		var panels []*plot.Plot
		for k, m := range []string{evaluate.MetricAcceptedRate, evaluate.MetricAlerted} {
			ylabel := []string{"share of attack actions accepted", "share of attack sessions alerted"}[k]
			l := leg
			if k > 0 {
				l = nil
			}
			p, err := dotPanel(st, ylabel, r.Attacks, names, func(g, s int) (evaluate.Figure, bool) {
				return r.Find(names[s], r.Attacks[g], m)
			}, l)
			if err != nil {
				return nil, fmt.Errorf("attacks[%d]: %w", i, err)
			}
			p.Y.Max = 1.05
			p.X.Tick.Label.Rotation = math.Pi / 4
			p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = -1, -0.5
			panels = append(panels, p)
		}
		outer, _ := frame(st, leg, panels...)
		figs = append(figs, Figure{
			Name: "attacks" + suffix(i),
			Caption: fmt.Sprintf("%s: share of attack actions accepted and of attack sessions (%d actions each) alerted, per attack and deployment (%s); mean over seeds %s of the mean over victims, bars the 95%% interval over victims and seeds.",
				r.Data, r.Length, strings.Join(names, ", "), seedsText(r.Seeds)),
			Title: "Attacks: " + r.Data,
			Plot:  outer,
		})
	}
	return figs, nil
}

// htmlEval is one continuous or attack evaluation in report.html.
type htmlEval struct {
	ID, Title, Note string
	Figures         []*htmlFigure
	Main, Targets   *htmlTable
	Deployments     *htmlTable
}

// toHTML turns a table into one for people (the first column as the row
// header).
func toHTML(t *Table) *htmlTable {
	h := &htmlTable{Columns: t.Columns, Numeric: make([]bool, len(t.Columns))}
	for i := range t.Columns {
		h.Numeric[i] = t.numericColumn(i)
	}
	for _, r := range t.Rows {
		row := htmlRow{Head: cellString(r[0], true)}
		for _, c := range r[1:] {
			row.Cells = append(row.Cells, htmlCell{Text: cellString(c, true)})
		}
		h.Rows = append(h.Rows, row)
	}
	return h
}

// evalSections are the run's continuous and attack evaluations for
// report.html.
func evalSections(run *evaluate.Run, figs map[string]*htmlFigure) []htmlEval {
	var out []htmlEval
	for i, r := range run.Continuous {
		e := htmlEval{ID: "continuous" + suffix(i), Title: "Continuous authentication: " + r.Data,
			Note: fmt.Sprintf("Each user's genuine test sessions and the impostor sequences against the user's model, judged action by action by each deployment, a new login after every lockout (Mondal and Bours): %s. ANGA: genuine actions per false lockout (all of them when none); ANIA: impostor actions per lockout, sequences never locked out apart. Mean ± sd over seeds %s of the mean over users, [95%% interval over users and seeds]. Recommended policy: %s.",
				r.Sessions, seedsText(r.Seeds), r.Recommended.String()),
			Main: toHTML(ContinuousPivot(&r)), Deployments: toHTML(DeploymentTable(r.Deployments, r.Gates))}
		if f := figs["continuous"+suffix(i)]; f != nil {
			e.Figures = append(e.Figures, f)
		}
		out = append(out, e)
	}
	for i, r := range run.Attacks {
		e := htmlEval{ID: "attacks" + suffix(i), Title: "Attacks: " + r.Data,
			Note: fmt.Sprintf("An impostor with the password and a client of their own: each attack session a new login of %d actions (short sessions: %d), %d sessions per attack and victim, hill-climbing with %d probes; a session passes when it ends unalerted with at least half its actions accepted. Mean ± sd over seeds %s of the mean over victims, [95%% interval over victims and seeds].",
				r.Length, r.ShortLength, r.PerAttack, r.Probes, seedsText(r.Seeds)),
			Main: toHTML(AttackPivot(&r)), Targets: toHTML(TargetTable(r.Targets)), Deployments: toHTML(DeploymentTable(r.Deployments, r.Gates))}
		if !r.Gates {
			e.Note += " No gates were given: vectors reach the model unchecked."
		}
		if f := figs["attacks"+suffix(i)]; f != nil {
			e.Figures = append(e.Figures, f)
		}
		out = append(out, e)
	}
	return out
}

// overSeeds says what a pivot's cells are: "mean ± sd over seeds 0-9 [95%
// interval over users and seeds]", or for one seed "seed 0 [95% interval
// over users]".
func overSeeds(seeds []int64, who string) string {
	if len(seeds) == 1 {
		return fmt.Sprintf("seed %d [95%% interval over %s]", seeds[0], who)
	}
	return fmt.Sprintf("mean ± sd over seeds %s [95%% interval over %s and seeds]", seedsText(seeds), who)
}
