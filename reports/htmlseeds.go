package reports

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/mouseauth/mouseauth/evaluate"
)

// differenceTables lays out differences for people: the ones beyond the
// seed noise (all of them when few), and, when there are many, every one
// for a collapsed table. Within each, by kind, then window, then largest
// |difference| first.
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
		t := &htmlTable{Columns: []string{"A", "B", "window", "B − A", "SE", "beyond noise"},
			Numeric: []bool{false, false, true, true, true, false}}
		for _, d := range ds {
			verdict := htmlCell{Text: "no", Class: "na"}
			if d.BeyondNoise {
				verdict = htmlCell{Text: "yes", Class: "best"}
			}
			row := htmlRow{Head: d.A, Cells: []htmlCell{{Text: d.B}, {Text: optional(d.Window)},
				{Text: signed4(d.MeanDiff)}, {Text: fixed4(d.SE)}, verdict}}
			t.Rows = append(t.Rows, row)
		}
		return t
	}
	const few = 12
	if len(sorted) <= few {
		return table(sorted), nil
	}
	var beyond []evaluate.Difference
	for _, d := range sorted {
		if d.BeyondNoise {
			beyond = append(beyond, d)
		}
	}
	return table(beyond), table(sorted)
}

// signed4 is a difference with its sign (a minus sign, not a hyphen) and
// four decimals: seed noise is often below 0.001.
func signed4(v float64) string {
	switch {
	case !isFinite(v):
		return "n/a"
	case v < 0:
		return "−" + strconv.FormatFloat(-v, 'f', 4, 64)
	}
	return "+" + strconv.FormatFloat(v, 'f', 4, 64)
}

// fixed4 is a rate with four decimals, "n/a" when not finite.
func fixed4(v float64) string {
	if !isFinite(v) {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
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

	t := &htmlTable{Columns: []string{"figure", "value"}, Numeric: []bool{false, true}}
	if h.Seeds != nil {
		t.Columns = []string{"figure", "mean ± sd over seeds"}
	}
	value := func(v float64, st *evaluate.SeedStat) string {
		if st != nil && len(st.Values) > 1 {
			return fixed3(st.Mean) + " ± " + fixed3(st.SD)
		}
		return fixed3(v)
	}
	var sp evaluate.HoldoutSeeds
	if h.Seeds != nil {
		sp = *h.Seeds
	}
	rows := []struct{ name, text string }{
		{"session AUC (every session pooled)", value(h.Sessions.AUC, &sp.SessionAUC)},
		{"session EER", value(h.Sessions.EER, &sp.SessionEER)},
		{"action AUC (every action pooled)", value(h.Actions.AUC, &sp.ActionAUC)},
	}
	if h.UsersDefined > 0 {
		um := value(h.UserMeanAUC, &sp.UserMeanAUC)
		usd := fixed3(h.UserSDAUC)
		if len(sp.UserSDAUC.Values) > 1 {
			usd = fixed3(sp.UserSDAUC.Mean)
		}
		rows = append(rows, struct{ name, text string }{fmt.Sprintf("per-user session AUC, mean over %d users (sd over users)", h.UsersDefined), um + " (sd " + usd + ")"})
	} else {
		rows = append(rows, struct{ name, text string }{"per-user session AUC", "n/a: no user has genuine and impostor test sessions"})
	}
	rows = append(rows,
		struct{ name, text string }{"test sessions: genuine, impostor", fmt.Sprintf("%d, %d", h.Sessions.Genuine, h.Sessions.Impostor)},
		struct{ name, text string }{"test actions: genuine, impostor", fmt.Sprintf("%d, %d", h.Actions.Genuine, h.Actions.Impostor)})
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
		pt := holdoutPerSeedTable(run, i)
		hp := &htmlTable{Columns: []string{"seed", "session AUC", "session EER", "action AUC", "per-user mean AUC"}, Numeric: []bool{true, true, true, true, true}}
		for _, r := range pt.Rows {
			um := "n/a"
			if f, ok := r[5].(float64); ok {
				um = fixed3(f)
			}
			hp.Rows = append(hp.Rows, htmlRow{Head: fmt.Sprint(r[0]), Cells: []htmlCell{{Text: fixed3(r[1].(float64))}, {Text: fixed3(r[2].(float64))}, {Text: fixed3(r[3].(float64))}, {Text: um}}})
		}
		hs.PerSeed = hp
	}
	if n := len(h.Unlabelled); n > 0 {
		hs.Unlabelled = fmt.Sprintf("%d test sessions have no label and were left out (first: %s/%s).", n, h.Unlabelled[0].User, h.Unlabelled[0].Session)
	}
	return hs
}
