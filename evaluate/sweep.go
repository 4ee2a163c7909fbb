package evaluate

import (
	"context"
	"fmt"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/preprocess"
)

// Sweep evaluates d under opts for every tree count in trees (a classifier
// built by newClassifier(t) per count, trained once per count) and every
// window size in windows (applied to the same scores). It returns one point
// per (trees, window) pair, tree counts outermost; Param is "trees" when
// several tree counts are swept, else "window". Seconds is the time of the
// count's whole evaluation (0 when opts.Now is nil), shared by its windows.
// It also returns the test scores of each tree count, in trees' order.
func Sweep(ctx context.Context, d *preprocess.Table, opts Options, trees, windows []int, newClassifier func(trees int) (classify.Classifier, error)) ([]SweepPoint, [][]UserScores, error) {
	if len(trees) == 0 || len(windows) == 0 {
		return nil, nil, fmt.Errorf("sweep: need at least one tree count and one window size")
	}
	param := "window"
	if len(trees) > 1 {
		param = "trees"
	}
	var pts []SweepPoint
	var scores [][]UserScores
	for _, t := range trees {
		c, err := newClassifier(t)
		if err != nil {
			return nil, nil, fmt.Errorf("sweep trees=%d: %w", t, err)
		}
		o := opts
		o.Classifier = c
		o.Windows = windows
		res, us, err := EvaluateScores(ctx, d, o)
		if err != nil {
			return nil, nil, fmt.Errorf("sweep trees=%d: %w", t, err)
		}
		scores = append(scores, us)
		for _, s := range res.Summary {
			v := float64(s.Window)
			if param == "trees" {
				v = float64(t)
			}
			pts = append(pts, SweepPoint{Param: param, Value: v, MeanAUC: s.MeanAUC, SDAUC: s.SDAUC,
				MeanEER: s.MeanEER, Seconds: res.Seconds, Trees: t, Window: s.Window})
		}
	}
	return pts, scores, nil
}
