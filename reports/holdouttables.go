package reports

import (
	"fmt"

	"github.com/mouseauth/mouseauth/evaluate"
)

// IsMultiSeed reports whether run was made over two or more seeds.
func IsMultiSeed(run *evaluate.Run) bool { return len(run.Seeds) > 1 }

// HoldoutTable has one row per held-out evaluation: classifier, aggregate,
// negative_ratio, train, test, seeds, users (claimed users), the pooled
// session AUC, EER, FNMR at FMR 1% and ZeroFMR and the pooled action AUC
// and EER, each with its 95% interval over claimed users (every seed's
// trials pooled); user_mean_session_auc and user_sd_session_auc (over the
// users_with_auc users whose sessions are of both classes; the first
// seed's), and the counts of genuine and impostor sessions and actions. A
// run written before intervals gives the first seed's figures without.
func HoldoutTable(hs []evaluate.HoldoutResult) *Table {
	c := []string{"classifier", "aggregate", "negative_ratio", "train", "test", "seeds", "users"}
	for _, n := range []string{"session_auc", "session_eer", "session_fnmr_at_fmr_1pct", "session_zero_fmr", "action_auc", "action_eer"} {
		c = append(c, estCols(n)...)
	}
	c = append(c, "user_mean_session_auc", "user_sd_session_auc", "users_with_auc",
		"genuine_sessions", "impostor_sessions", "genuine_actions", "impostor_actions")
	t := &Table{Columns: c}
	for _, h := range hs {
		row := []any{h.Classifier, h.Aggregate, h.NegativeRatio, h.Train, h.Test}
		if s := h.Stats; s != nil {
			row = append(row, s.Seeds, s.Users)
			for _, e := range []evaluate.Estimate{s.SessionAUC, s.SessionEER, s.SessionFNMR, s.SessionZero, s.ActionAUC, s.ActionEER} {
				row = append(row, estCells(e)...)
			}
		} else {
			row = append(row, 1, len(h.Users))
			for _, v := range []any{h.Sessions.AUC, h.Sessions.EER, nil, nil, h.Actions.AUC, h.Actions.EER} {
				row = append(row, v, nil, nil)
			}
		}
		var um, us any
		if h.UsersDefined > 0 {
			um, us = h.UserMeanAUC, h.UserSDAUC
		}
		row = append(row, um, us, h.UsersDefined, h.Sessions.Genuine, h.Sessions.Impostor, h.Actions.Genuine, h.Actions.Impostor)
		t.Add(row...)
	}
	return t
}

// HoldoutUserTable has one row per claimed user of each held-out result
// (the first seed): classifier, user, genuine_sessions, impostor_sessions,
// actions, session_auc, session_eer, action_auc (empty, JSON null, when
// undefined), na (why).
func HoldoutUserTable(hs []evaluate.HoldoutResult) *Table {
	t := &Table{Columns: []string{"classifier", "user", "genuine_sessions", "impostor_sessions", "actions", "session_auc", "session_eer", "action_auc", "na"}}
	for _, h := range hs {
		for _, u := range h.Users {
			t.Add(h.Classifier, u.User, u.GenuineSessions, u.ImpostorSessions, u.Actions, optFloat(u.SessionAUC), optFloat(u.SessionEER), optFloat(u.ActionAUC), emptyNil(u.NA))
		}
	}
	return t
}

// HoldoutScoreTable has one row per scored session (the first seed):
// classifier, user (the claimed user, whose model scored it), folder (the
// session's own folder, when another: --cross), session, genuine, actions,
// score.
func HoldoutScoreTable(hs []evaluate.HoldoutResult) *Table {
	t := &Table{Columns: []string{"classifier", "user", "folder", "session", "genuine", "actions", "score"}}
	for _, h := range hs {
		for _, s := range h.Scores {
			t.Add(h.Classifier, s.User, emptyNil(s.Folder), s.Session, s.Genuine, s.Actions, s.Score)
		}
	}
	return t
}

// holdoutPerSeedTable has one row per seed and held-out result: seed,
// classifier, session_auc, session_eer, action_auc, action_eer,
// user_mean_session_auc, user_sd_session_auc, users_with_auc.
func holdoutPerSeedTable(run *evaluate.Run) *Table {
	t := &Table{Columns: []string{"seed", "classifier", "session_auc", "session_eer", "action_auc", "action_eer", "user_mean_session_auc", "user_sd_session_auc", "users_with_auc"}}
	add := func(seed int64, h evaluate.HoldoutResult) {
		var um, us any
		if h.UsersDefined > 0 {
			um, us = h.UserMeanAUC, h.UserSDAUC
		}
		t.Add(seed, h.Classifier, h.Sessions.AUC, h.Sessions.EER, h.Actions.AUC, h.Actions.EER, um, us, h.UsersDefined)
	}
	if len(run.PerSeed) == 0 {
		for _, h := range run.Holdouts {
			add(h.Seed, h)
		}
		return t
	}
	for _, sr := range run.PerSeed {
		for _, h := range sr.Holdouts {
			add(sr.Seed, h)
		}
	}
	return t
}

// holdoutPerSeedUserTable has one row per seed, result and user: seed,
// then [HoldoutUserTable]'s columns.
func holdoutPerSeedUserTable(run *evaluate.Run) *Table {
	t := &Table{Columns: append([]string{"seed"}, HoldoutUserTable(nil).Columns...)}
	if len(run.PerSeed) == 0 {
		for _, h := range run.Holdouts {
			for _, row := range HoldoutUserTable([]evaluate.HoldoutResult{h}).Rows {
				t.Add(append([]any{h.Seed}, row...)...)
			}
		}
		return t
	}
	for _, sr := range run.PerSeed {
		for _, row := range HoldoutUserTable(sr.Holdouts).Rows {
			t.Add(append([]any{sr.Seed}, row...)...)
		}
	}
	return t
}

// seedsText names seeds compactly: "0-9" for a run of consecutive seeds,
// else the list.
func seedsText(seeds []int64) string {
	if len(seeds) == 0 {
		return ""
	}
	consecutive := true
	for i := 1; i < len(seeds); i++ {
		if seeds[i] != seeds[i-1]+1 {
			consecutive = false
			break
		}
	}
	if consecutive && len(seeds) > 2 {
		return fmt.Sprintf("%d-%d", seeds[0], seeds[len(seeds)-1])
	}
	out := ""
	for i, s := range seeds {
		if i > 0 {
			out += ","
		}
		out += fmt.Sprint(s)
	}
	return out
}
