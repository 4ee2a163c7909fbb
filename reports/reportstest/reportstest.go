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

// Seeds are the seeds of [SeedsRun].
var Seeds = []int64{0, 1, 2, 3}

// SeedsRun returns a multi-seed run as evaluate.MergeSeeds makes it: the
// two results of [Run] and its sweep, their figures moved a little by each
// seed (the rf result by more than the seed noise above logreg), merged
// over [Seeds]. Each call returns a fresh value.
func SeedsRun() *evaluate.Run {
	runs := make([]*evaluate.Run, len(Seeds))
	for k, seed := range Seeds {
		jitter := 0.02 * math.Sin(float64(seed)+1)
		r := &evaluate.Run{Results: []evaluate.Result{result("rf", 1+jitter), result("logreg", jitter)}}
		for i := range r.Results {
			r.Results[i].Seed = seed
			r.Results[i].Params = map[string]any{"trees": 100, "preset": "reference"}
		}
		for _, p := range Run().Sweeps {
			p.MeanAUC += jitter / 4
			r.Sweeps = append(r.Sweeps, p)
		}
		runs[k] = r
	}
	out, err := evaluate.MergeSeeds(Seeds, runs)
	if err != nil {
		panic(err) // the fixture is wrong
	}
	out.Manifest = Run().Manifest
	out.Manifest.Seed = Seeds[0]
	return out
}

// Holdout returns a held-out result: users user7 (2 genuine, 3 impostor
// sessions), user9 (2 genuine, 3 impostor) and user12 (1 genuine, no
// impostor: its AUC is undefined), with session and action ROCs.
func Holdout() evaluate.HoldoutResult {
	auc1, eer1, aauc1 := 0.833, 0.25, 0.71
	auc2, eer2, aauc2 := 0.5, 0.5, 0.55
	h := evaluate.HoldoutResult{Train: "train_files", Test: "test_files", Classifier: "rf",
		Params: map[string]any{"trees": 100}, Seed: 3, Aggregate: "mean", NegativeRatio: 1, Convention: "clean",
		Sessions:    evaluate.HoldoutLevel{AUC: 0.8, EER: 0.3, Genuine: 5, Impostor: 6, ROC: roc(0.25, 10)},
		Actions:     evaluate.HoldoutLevel{AUC: 0.7, EER: 0.35, Genuine: 500, Impostor: 600, ROC: roc(0.43, 50)},
		UserMeanAUC: (auc1 + auc2) / 2, UserSDAUC: (auc1 - auc2) / 2, UsersDefined: 2,
		Unlabelled: []evaluate.SessionRef{{User: "user7", Session: "session_9"}},
		Seconds:    4.5,
	}
	h.Users = []evaluate.HoldoutUser{
		{User: "user7", GenuineSessions: 2, ImpostorSessions: 3, Actions: 400, SessionAUC: &auc1, SessionEER: &eer1, ActionAUC: &aauc1, TrainRows: 300},
		{User: "user9", GenuineSessions: 2, ImpostorSessions: 3, Actions: 500, SessionAUC: &auc2, SessionEER: &eer2, ActionAUC: &aauc2, TrainRows: 300},
		{User: "user12", GenuineSessions: 1, Actions: 200, NA: "1 genuine and 0 impostor test sessions: AUC undefined", TrainRows: 300},
	}
	for i, u := range []string{"user7", "user7", "user9", "user12"} {
		h.Scores = append(h.Scores, evaluate.TrialScore{User: u, Session: "session_" + string(rune('a'+i)), Genuine: i%2 == 0, Actions: 100, Score: 0.2 * float64(i+1)})
	}
	return h
}
