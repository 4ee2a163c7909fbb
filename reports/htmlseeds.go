package reports

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/mouseauth/mouseauth/evaluate"
)

// differenceTables lays out differences for people: those whose interval
// excludes zero (all of them when few), and, when there are many, every one
// for a collapsed table. Within each, by kind, then window.
func differenceTables(ds []evaluate.Difference) (shown, all *htmlTable) {
	sorted := append([]evaluate.Difference(nil), ds...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Window < b.Window
	})
	table := func(ds []evaluate.Difference) *htmlTable {
		t := &htmlTable{Columns: []string{"A", "B", "window", "B − A [95% CI]", "Wilcoxon p", "DeLong p (pooled)", "called"},
			Numeric: []bool{false, false, true, true, true, true, false}}
		for _, d := range ds {
			verdict := htmlCell{Text: "no: interval includes 0", Class: "na"}
			if d.IntervalExcludesZero {
				verdict = htmlCell{Text: "yes", Class: "best"}
			}
			diff := signed3(d.Diff.Value)
			if d.Diff.HasInterval() {
				diff += " [" + signed3(*d.Diff.Lo) + ", " + signed3(*d.Diff.Hi) + "]"
			}
			wp, dp := "—", "—"
			if d.WilcoxonP != nil {
				wp = pValue(*d.WilcoxonP)
			}
			if d.DeLong != nil {
				dp = pValue(d.DeLong.P)
				if !d.DeLong.Paired {
					dp += " (unpaired)"
				}
			}
			row := htmlRow{Head: d.A, Note: d.NA, Cells: []htmlCell{{Text: d.B}, {Text: optional(d.Window)},
				{Text: diff}, {Text: wp}, {Text: dp}, verdict}}
			t.Rows = append(t.Rows, row)
		}
		return t
	}
	const few = 12
	if len(sorted) <= few {
		return table(sorted), nil
	}
	var called []evaluate.Difference
	for _, d := range sorted {
		if d.IntervalExcludesZero {
			called = append(called, d)
		}
	}
	return table(called), table(sorted)
}

// signed3 is a difference with its sign (a minus sign, not a hyphen) and
// three decimals.
func signed3(v float64) string {
	switch {
	case !isFinite(v):
		return "n/a"
	case v < 0:
		return "−" + strconv.FormatFloat(-v, 'f', 3, 64)
	}
	return "+" + strconv.FormatFloat(v, 'f', 3, 64)
}

// pValue is a p-value for people: three significant digits, "< 0.0001"
// below.
func pValue(p float64) string {
	switch {
	case !isFinite(p):
		return "n/a"
	case p < 1e-4:
		return "< 0.0001"
	}
	return strconv.FormatFloat(p, 'g', 3, 64)
}

// holdoutSection is the report's section of held-out result i.
func holdoutSection(run *evaluate.Run, i int, h evaluate.HoldoutResult, slug string, figs map[string]*htmlFigure) htmlHoldout {
	hs := htmlHoldout{ID: "holdout" + slug, Label: "Held-out evaluation: " + holdoutLabel(h)}
	var set []string
	add := func(k, v string) {
		if v != "" {
			set = append(set, k+" "+v)
		}
	}
	add("classifier", h.Classifier)
	add("session score", h.Aggregate+" of the action scores")
	add("negatives per positive", formatValue(h.NegativeRatio))
	add("features", h.Convention)
	if h.Cross {
		add("impostors", "also every genuine session against every other user's model (--cross)")
	}
	keys := make([]string, 0, len(h.Params))
	for k := range h.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		add(strings.ReplaceAll(k, "_", " "), formatValue(h.Params[k]))
	}
	add("train", h.Train)
	add("test", h.Test)
	hs.Settings = strings.Join(set, " · ")
	hs.Facts = fmt.Sprintf("seed %d", h.Seed)
	if h.Seeds != nil {
		hs.Facts = fmt.Sprintf("seeds %s; curves and per-user figures: seed %d", seedsText(h.Seeds.Seeds), h.Seed)
	}
	if h.Seconds > 0 {
		hs.Facts += fmt.Sprintf(" · %s s", formatNumber(h.Seconds))
	}

	t := &htmlTable{Columns: []string{"figure", "value [95% CI]"}, Numeric: []bool{false, true}}
	type fig struct{ name, text string }
	var rows []fig
	if st := h.Stats; st != nil {
		pooled := fmt.Sprintf("every trial of %d seed(s) pooled; interval over %d claimed users", st.Seeds, st.Users)
		rows = append(rows,
			fig{"session AUC (" + pooled + ")", estText(st.SessionAUC)},
			fig{"session EER (pooled)", estText(st.SessionEER)},
			fig{"session FNMR at FMR 1% (pooled)", estText(st.SessionFNMR)},
			fig{"session ZeroFMR (pooled)", estText(st.SessionZero)},
			fig{"action AUC (every action pooled)", estText(st.ActionAUC)},
			fig{"action EER (pooled)", estText(st.ActionEER)})
	} else {
		rows = append(rows, fig{"session AUC (every session pooled)", fixed3(h.Sessions.AUC)},
			fig{"session EER", fixed3(h.Sessions.EER)}, fig{"action AUC (every action pooled)", fixed3(h.Actions.AUC)})
	}
	if h.UsersDefined > 0 {
		rows = append(rows, fig{fmt.Sprintf("per-user session AUC, mean over %d users (sd over users; seed %d)", h.UsersDefined, h.Seed),
			fixed3(h.UserMeanAUC) + " (sd " + fixed3(h.UserSDAUC) + ")"})
	} else {
		rows = append(rows, fig{"per-user session AUC", "n/a: no user has genuine and impostor test sessions"})
	}
	rows = append(rows,
		fig{"test sessions: genuine, impostor", fmt.Sprintf("%d, %d", h.Sessions.Genuine, h.Sessions.Impostor)},
		fig{"test actions: genuine, impostor", fmt.Sprintf("%d, %d", h.Actions.Genuine, h.Actions.Impostor)})
	for _, r := range rows {
		t.Rows = append(t.Rows, htmlRow{Head: r.name, Cells: []htmlCell{{Text: r.text}}})
	}
	hs.Summary = t
	for _, n := range []string{"holdout_roc" + slug, "holdout_det" + slug} {
		if f := figs[n]; f != nil {
			hs.Figures = append(hs.Figures, f)
		}
	}

	users := append([]evaluate.HoldoutUser(nil), h.Users...)
	sort.SliceStable(users, func(a, b int) bool {
		x, y := users[a].SessionAUC, users[b].SessionAUC
		switch {
		case x == nil || y == nil:
			return x != nil && y == nil
		}
		return *x < *y
	})
	ut := &htmlTable{Columns: []string{"user", "session AUC", "session EER", "action AUC", "genuine sessions", "impostor sessions", "actions"},
		Numeric: []bool{false, true, true, true, true, true, true}}
	for _, u := range users {
		row := htmlRow{Head: userName(u.User)}
		if u.SessionAUC == nil {
			row.Note = u.NA
			row.Cells = append(row.Cells, htmlCell{Text: "n/a", Class: "na"}, htmlCell{Text: "n/a", Class: "na"}, htmlCell{Text: "n/a", Class: "na"})
		} else {
			row.Cells = append(row.Cells, htmlCell{Text: fixed3(*u.SessionAUC)}, htmlCell{Text: fixed3(*u.SessionEER)}, htmlCell{Text: fixed3(*u.ActionAUC)})
			if *u.SessionAUC < 0.5 {
				row.Class = "below-chance"
			}
		}
		row.Cells = append(row.Cells, htmlCell{Text: strconv.Itoa(u.GenuineSessions)}, htmlCell{Text: strconv.Itoa(u.ImpostorSessions)}, htmlCell{Text: strconv.Itoa(u.Actions)})
		ut.Rows = append(ut.Rows, row)
	}
	hs.Users = ut
	hs.UsersNote = fmt.Sprintf("Per user (seed %d): the test sessions claiming the user, scored by the user's model; lowest session AUC first", h.Seed)
	if h.Seeds != nil {
		hp := &htmlTable{Columns: []string{"seed", "session AUC", "session EER", "action AUC", "per-user mean AUC"}, Numeric: []bool{true, true, true, true, true}}
		for _, sr := range run.PerSeed {
			if i >= len(sr.Holdouts) {
				continue
			}
			x := sr.Holdouts[i]
			um := "n/a"
			if x.UsersDefined > 0 {
				um = fixed3(x.UserMeanAUC)
			}
			hp.Rows = append(hp.Rows, htmlRow{Head: fmt.Sprint(sr.Seed), Cells: []htmlCell{{Text: fixed3(x.Sessions.AUC)}, {Text: fixed3(x.Sessions.EER)}, {Text: fixed3(x.Actions.AUC)}, {Text: um}}})
		}
		hs.PerSeed = hp
	}
	if n := len(h.Unlabelled); n > 0 {
		hs.Unlabelled = fmt.Sprintf("%d test sessions have no label and were left out (first: %s/%s).", n, h.Unlabelled[0].User, h.Unlabelled[0].Session)
	}
	return hs
}
