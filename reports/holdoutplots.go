package reports

import (
	"fmt"
	"math"

	"github.com/mouseauth/mouseauth/evaluate"
)

// levelStats is the curve of one pooled ROC (no band: it is one curve).
func levelStats(c evaluate.ROCCurve) (curveStats, error) {
	if len(c.FPR) != len(c.TPR) {
		return curveStats{}, fmt.Errorf("roc has %d fpr values but %d tpr values", len(c.FPR), len(c.TPR))
	}
	st := curveStats{users: 1, minFPR: 1, minFNR: 1}
	for i, f := range c.FPR {
		if !isFinite(f) || !isFinite(c.TPR[i]) {
			continue
		}
		st.fpr = append(st.fpr, f)
		st.mean = append(st.mean, c.TPR[i])
		if f > 0 {
			st.minFPR = math.Min(st.minFPR, f)
		}
		if fnr := 1 - c.TPR[i]; fnr > 1e-12 {
			st.minFNR = math.Min(st.minFNR, fnr)
		}
	}
	return st, nil
}

// holdoutLevelLabel is "sessions: AUC 0.934 (12 genuine, 108 impostor)",
// with the mean ± sd over seeds where the run has them.
func holdoutLevelLabel(name string, l evaluate.HoldoutLevel, over *evaluate.SeedStat) string {
	s := fmt.Sprintf("%s: AUC %.3f", name, l.AUC)
	if over != nil && len(over.Values) > 1 {
		s = fmt.Sprintf("%s: AUC %.3f (%.3f ± %.3f over %d seeds)", name, l.AUC, over.Mean, over.SD, len(over.Values))
	}
	return s + fmt.Sprintf(", %d genuine, %d impostor", l.Genuine, l.Impostor)
}

// holdoutPlots draws a held-out result's pooled session and action ROCs
// (holdout_roc) and their DET curves with the EER (holdout_det).
func holdoutPlots(h evaluate.HoldoutResult, slug string) ([]Figure, error) {
	ss, err := levelStats(h.Sessions.ROC)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	as, err := levelStats(h.Actions.ROC)
	if err != nil {
		return nil, fmt.Errorf("actions: %w", err)
	}
	var sOver, aOver *evaluate.SeedStat
	seedNote := ""
	if h.Seeds != nil {
		sOver, aOver = &h.Seeds.SessionAUC, &h.Seeds.ActionAUC
		seedNote = fmt.Sprintf(" The curves are seed %d's; the legend gives the AUC over seeds too.", h.Seed)
	}
	label := holdoutLabel(h)
	p := newPlot("", fprLabel, tprLabel)
	sts := []curveStats{ss, as}
	lo := rocLow(sts)
	if err := logROCAxes(p, lo); err != nil {
		return nil, err
	}
	if err := addBandCurve(p, ss, colour(0), dashes(0), 0, holdoutLevelLabel("sessions", h.Sessions, sOver)); err != nil {
		return nil, err
	}
	if err := addBandCurve(p, as, colour(1), dashes(1), 0, holdoutLevelLabel("actions", h.Actions, aOver)); err != nil {
		return nil, err
	}
	logROCRange(p, lo, rocYLow(sts, lo))
	roc := Figure{
		Name: "holdout_roc" + slug,
		Caption: fmt.Sprintf("Held-out ROC, %s: every test session scored by its claimed user's model (the %s of its actions' scores), pooled over users; and every action, labelled by its session. FPR on a log scale; the dashed curve is chance.%s",
			label, h.Aggregate, seedNote),
		Plot: single(withTitle(p, "Held-out ROC: "+h.Classifier)),
	}
	dp, err := detPlot([]detCurve{
		{st: ss, colour: colour(0), dash: dashes(0), label: "sessions"},
		{st: as, colour: colour(1), dash: dashes(1), label: "actions"},
	})
	if err != nil {
		return nil, err
	}
	det := Figure{
		Name: "holdout_det" + slug,
		Caption: fmt.Sprintf("Held-out DET, %s, sessions and actions pooled over users, on normal-deviate axes; dots mark the equal error rates.%s",
			label, seedNote),
		Plot: single(withTitle(dp, "Held-out DET: "+h.Classifier)),
	}
	return []Figure{roc, det}, nil
}
