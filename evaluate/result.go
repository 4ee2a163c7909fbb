package evaluate

import (
	"context"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/mouseauth/mouseauth/preprocess"
)

// Evaluate runs opts.Protocol with opts.Classifier over every user of d and
// summarises the scores at each window size of opts.Windows (models are
// trained once; windows are applied to the same scores).
func Evaluate(ctx context.Context, d *preprocess.Table, opts Options) (Result, error) {
	res, _, err := EvaluateScores(ctx, d, opts)
	return res, err
}

// EvaluateScores is [Evaluate] that also returns the per-user test scores
// the result summarises (for [Thresholds]), training once.
func EvaluateScores(ctx context.Context, d *preprocess.Table, opts Options) (Result, []UserScores, error) {
	if err := opts.defaults(); err != nil {
		return Result{}, nil, err
	}
	var start = opts.Now
	var t0 = now(start)
	scores, skipped, err := ScoreUsers(ctx, d, opts)
	if err != nil {
		return Result{}, nil, err
	}
	res, err := Summarize(scores, opts.Windows, opts.Aggregate)
	if err != nil {
		return Result{}, nil, err
	}
	res.Protocol = string(opts.Protocol)
	res.Classifier = opts.Classifier.Name()
	res.Params = opts.Params
	res.Seed = opts.Seed
	res.Aggregate = string(opts.Aggregate)
	res.Skipped = append(skipped, res.Skipped...)
	if start != nil {
		res.Seconds = start().Sub(t0).Seconds()
	}
	return res, scores, nil
}

// Summarize windows each user's scores at every size in windows, computes
// per-user ROC, AUC and EER, then mean and population standard deviation
// over users (numpy.std, as the published figures) and the mean ROC
// ([MeanROC], without an interval: [Experiment] adds the statistics).
// Impostor windows never span two streams. A user with no genuine or no impostor
// window at a size is skipped at that size and listed in Result.Skipped; a
// size where every user is skipped is an error.
func Summarize(scores []UserScores, windows []int, agg Aggregate) (Result, error) {
	res := Result{Windows: windows}
	for _, w := range windows {
		if w < 1 {
			return Result{}, fmt.Errorf("window size %d: must be >= 1", w)
		}
		var aucs, eers []float64
		var curves []ROCCurve
		for _, us := range scores {
			ur, err := userResult(us, w, agg)
			if err != nil {
				res.Skipped = append(res.Skipped, Skip{User: us.User, Window: w, Reason: err.Error()})
				continue
			}
			res.Users = append(res.Users, ur)
			aucs, eers = append(aucs, ur.AUC), append(eers, ur.EER)
			curves = append(curves, ur.ROC)
		}
		if len(aucs) == 0 {
			return Result{}, fmt.Errorf("window %d: no user has enough test actions", w)
		}
		s := WindowSummary{Window: w, Users: len(aucs), MeanROC: MeanROC(curves)}
		s.MeanAUC, s.SDAUC = stat.PopMeanStdDev(aucs, nil)
		s.MeanEER, s.SDEER = stat.PopMeanStdDev(eers, nil)
		res.Summary = append(res.Summary, s)
	}
	return res, nil
}

func userResult(us UserScores, w int, agg Aggregate) (UserResult, error) {
	gen := Windows(us.Genuine, w, agg)
	var imp []float64
	for _, s := range us.Impostor {
		imp = append(imp, Windows(s, w, agg)...)
	}
	y := append(append([]float64(nil), gen...), imp...)
	labels := make([]bool, len(y))
	for i := range gen {
		labels[i] = true
	}
	roc, auc, eer, _, err := ComputeROC(y, labels)
	if err != nil {
		return UserResult{}, fmt.Errorf("%d genuine, %d impostor test actions: %w", len(us.Genuine), countAll(us.Impostor), err)
	}
	if math.IsNaN(auc) {
		return UserResult{}, fmt.Errorf("AUC is NaN") // unreachable after the checks above; never pass NaN on
	}
	return UserResult{User: us.User, Window: w, AUC: auc, EER: eer,
		Genuine: len(gen), Impostor: len(imp), ROC: roc, TrainSecs: us.TrainSecs}, nil
}

func countAll(s [][]float64) int {
	n := 0
	for _, x := range s {
		n += len(x)
	}
	return n
}

// now returns clock() or the zero time for a nil clock.
func now(clock func() time.Time) time.Time {
	if clock == nil {
		return time.Time{}
	}
	return clock()
}

// Find returns the summary at window w, or false.
func (r *Result) Find(w int) (WindowSummary, bool) {
	for _, s := range r.Summary {
		if s.Window == w {
			return s, true
		}
	}
	return WindowSummary{}, false
}
