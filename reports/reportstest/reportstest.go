// Package reportstest consumes nothing and produces a small synthetic
// [evaluate.Run] (three users, two windows, two classifiers, a sweep over a
// grid of tree counts and windows, alarm thresholds for both windows) for tests of reports and of the report
// command, so they need no evaluation engine and no data.
package reportstest

import (
	"math"
	"time"

	"github.com/mouseauth/mouseauth/evaluate"
)

// Users, Windows are the users and window sizes of [Run].
var (
	Users   = []string{"user7", "user9", "user12"}
	Windows = []int{1, 10}
)

// roc is the made-up curve TPR = FPR^k at n+1 evenly spaced points; its AUC
// is 1/(k+1).
func roc(k float64, n int) evaluate.ROCCurve {
	var c evaluate.ROCCurve
	for i := 0; i <= n; i++ {
		x := float64(i) / float64(n)
		c.FPR = append(c.FPR, x)
		c.TPR = append(c.TPR, math.Pow(x, k))
		c.Thresholds = append(c.Thresholds, 1-x)
	}
	return c
}

// result builds one classifier's result; better > 0 makes it stronger.
func result(classifier string, better float64) evaluate.Result {
	r := evaluate.Result{Protocol: "reference", Classifier: classifier, Seed: 42,
		Params: map[string]any{"trees": 100, "depth": 0}, Windows: Windows, Seconds: 12.5,
		Aggregate: "mean", Skipped: []evaluate.Skip{{User: "user3", Reason: "fewer than 10 genuine test actions"}}}
	for _, w := range Windows {
		var sum, sumSq, eerSum float64
		for j, u := range Users {
			// Larger windows and later users separate better: k shrinks.
			k := 0.6 / (1 + better + float64(w)/10 + float64(j)/4)
			auc := 1 / (k + 1)
			eer := (1 - auc) * 0.9
			r.Users = append(r.Users, evaluate.UserResult{
				User: u, Window: w, AUC: auc, EER: eer, Accuracy: 1 - eer,
				Genuine: 40 + j, Impostor: 80 + 2*j, ROC: roc(k, 20), TrainSecs: 0.5 + float64(j)/10,
			})
			sum += auc
			sumSq += auc * auc
			eerSum += eer
		}
		n := float64(len(Users))
		mean := sum / n
		k := 1/mean - 1
		r.Summary = append(r.Summary, evaluate.WindowSummary{Window: w, MeanAUC: mean,
			SDAUC: math.Sqrt(math.Max(0, sumSq/n-mean*mean)), MeanEER: eerSum / n, SDEER: 0.01,
			MeanAccuracy: 1 - eerSum/n, MeanROC: roc(k, 20), Users: len(Users)})
	}
	return r
}

// Run returns the synthetic run. Each call returns a fresh value.
func Run() *evaluate.Run {
	run := &evaluate.Run{
		Manifest: evaluate.Manifest{
			Command: []string{"mouseauth", "evaluate", "--data", "features.csv", "--seed", "42", "--note", "<b>&'quoted'"},
			Version: "v0.1.0-test", Seed: 42, GoVersion: "go1.26.8",
			Started: time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC),
			Inputs: []evaluate.Input{{Path: "features.csv",
				SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Bytes: 123456}},
		},
		Results: []evaluate.Result{result("rf", 1), result("logreg", 0)},
	}
	// A grid of tree counts × windows, as evaluate.Sweep writes it.
	for i, trees := range []int{10, 50, 100, 200} {
		for j, w := range Windows {
			run.Sweeps = append(run.Sweeps, evaluate.SweepPoint{Param: "trees", Value: float64(trees),
				Trees: trees, Window: w, MeanAUC: 0.75 + 0.03*float64(i) + 0.08*float64(j), SDAUC: 0.05 - 0.01*float64(i),
				MeanEER: 0.28 - 0.03*float64(i) - 0.06*float64(j), Seconds: float64(trees) / 20})
		}
	}
	for _, w := range Windows {
		f := 1 + float64(w)/10 // larger windows: fewer false alarms, longer delays
		for i := 0; i <= 10; i++ {
			p := float64(i) / 10
			run.Thresholds = append(run.Thresholds, evaluate.ThresholdPoint{Threshold: p, Window: w,
				FalseAlarmRate: p * p / f, MissRate: (1 - p) * (1 - p) / f,
				ImpostorActionsToAlarm: float64(w) + 20*(1-p), GenuineActionsToFalseAlarm: 10*f + 200*(1-p),
				ImpostorDetected: 1 - (1-p)*(1-p)/f, GenuineAlarmed: p / f})
		}
	}
	return run
}
