package reports

import (
	"fmt"

	"github.com/mouseauth/mouseauth/evaluate"
)

// holdoutLevelLabel is "sessions: AUC 0.934 [0.90, 0.96], 12 genuine, 108
// impostor": the pooled AUC over every seed with its interval over claimed
// users where the run has them, else the first seed's.
func holdoutLevelLabel(name string, l evaluate.HoldoutLevel, auc *evaluate.Estimate) string {
	s := fmt.Sprintf("%s: AUC %s", name, fixed3(l.AUC))
	if auc != nil {
		s = fmt.Sprintf("%s: AUC %s", name, estText(*auc))
	}
	return s + fmt.Sprintf(", %d genuine, %d impostor", l.Genuine, l.Impostor)
}

// holdoutPlots draws a held-out result's pooled session and action ROCs
// (holdout_roc) and their DET curves with the EER (holdout_det).
func holdoutPlots(h evaluate.HoldoutResult, slug string, st Style) ([]Figure, error) {
	for name, c := range map[string]evaluate.ROCCurve{"sessions": h.Sessions.ROC, "actions": h.Actions.ROC} {
		if err := rocCheck(c); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	var sAUC, aAUC, sEER, aEER *evaluate.Estimate
	note := ""
	if s := h.Stats; s != nil {
		sAUC, aAUC, sEER, aEER = &s.SessionAUC, &s.ActionAUC, &s.SessionEER, &s.ActionEER
		note = fmt.Sprintf(" The curves are seed %d's; the legend's figures pool every trial of %d seed(s), with 95%% bootstrap intervals over the %d claimed users.", h.Seed, s.Seeds, s.Users)
	}
	if sEER == nil {
		sEER, aEER = &evaluate.Estimate{Value: h.Sessions.EER}, &evaluate.Estimate{Value: h.Actions.EER}
	}
	label := holdoutLabel(h)
	p := newPlot(st, fmrLabel, tprLabel)
	chance, err := rocAxes(p, st)
	if err != nil {
		return nil, err
	}
	leg := &legend{}
	if err := addBandCurve(p, leg, h.Sessions.ROC, colour(0), dashes(0), st.line(), true, holdoutLevelLabel("sessions", h.Sessions, sAUC)); err != nil {
		return nil, err
	}
	if err := addBandCurve(p, leg, h.Actions.ROC, colour(1), dashes(1), st.line(), true, holdoutLevelLabel("actions", h.Actions, aAUC)); err != nil {
		return nil, err
	}
	leg.add("chance", chance)
	rocRange(p, st)
	roc := Figure{
		Name:  "holdout_roc" + slug,
		Title: "Held-out ROC: " + h.Classifier,
		Caption: fmt.Sprintf("Held-out ROC, %s: every test session scored by its claimed user's model (the %s of its actions' scores), pooled over users; and every action, labelled by its session.%s%s",
			label, h.Aggregate, scaleNote(st), note),
		Plot: single(st, p, leg),
	}
	dp, dleg, err := detPlot([]detCurve{
		{roc: h.Sessions.ROC, eer: sEER, colour: colour(0), dash: dashes(0), label: "sessions", eerName: "pooled EER"},
		{roc: h.Actions.ROC, eer: aEER, colour: colour(1), dash: dashes(1), label: "actions", eerName: "pooled EER"},
	}, st)
	if err != nil {
		return nil, err
	}
	det := Figure{
		Name:  "holdout_det" + slug,
		Title: "Held-out DET: " + h.Classifier,
		Caption: fmt.Sprintf("Held-out DET, %s, sessions and actions pooled over users, on normal-deviate axes; dots mark the pooled EERs.%s",
			label, note),
		Plot: single(st, dp, dleg),
	}
	return []Figure{roc, det}, nil
}
