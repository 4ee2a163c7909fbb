package reportstest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/preprocess"
)

// Users, Windows are the users and window sizes of [Run].
var (
	Users   = []string{"user7", "user9", "user12", "user3", "user5", "user8"}
	Windows = []int{1, 10}
)

// Seeds are the seeds of [SeedsRun].
var Seeds = []int64{0, 1, 2, 3}

// Classifiers are the two classifiers [Run] compares: "centroid" scores an
// action by its distances to the genuine and impostor centroids of every
// feature, "axis" by the first feature only (weaker).
var Classifiers = []string{"centroid", "axis"}

// Table returns the synthetic feature table [Run] evaluates: [Users], 90
// actions each in two sessions, four features drawn around a user-specific
// mean (user8's test third drifts away from its training part, so it
// scores below chance).
func Table() *preprocess.Table {
	rng := rand.New(rand.NewPCG(7, 1))
	d := &preprocess.Table{Names: []string{"f1", "f2", "f3", "f4"}}
	for _, u := range Users {
		mu := make([]float64, 4)
		for j := range mu {
			mu[j] = rng.NormFloat64()
		}
		for i := range 90 {
			x := make([]float64, 4)
			for j := range x {
				x[j] = mu[j] + 1.1*rng.NormFloat64()
				if u == "user8" && i >= 60 {
					x[j] += 3 // drift
				}
			}
			d.Users = append(d.Users, u)
			d.Sessions = append(d.Sessions, fmt.Sprintf("s%d", i/45+1))
			d.X = append(d.X, x)
		}
	}
	return d
}

// centroid is a small classifier: the score is the share of the distance
// to the genuine centroid among the distances to both centroids, over the
// first dims features (0: all). Draws one number from rng, so seeds move
// its scores a little.
type centroid struct {
	name string
	dims int
}

func (c centroid) Name() string { return c.name }

func (c centroid) Fit(_ context.Context, X [][]float64, genuine []bool, rng *rand.Rand) (classify.Model, error) {
	var g, im []float64
	var ng, ni float64
	for i, x := range X {
		if g == nil {
			g, im = make([]float64, len(x)), make([]float64, len(x))
		}
		dst := im
		if genuine[i] {
			dst, ng = g, ng+1
		} else {
			ni++
		}
		for j, v := range x {
			dst[j] += v
		}
	}
	if ng == 0 || ni == 0 {
		return nil, errors.New("centroid: need both classes")
	}
	for j := range g {
		g[j] /= ng
		im[j] /= ni
	}
	dims := c.dims
	if dims == 0 || dims > len(g) {
		dims = len(g)
	}
	return model{g: g[:dims], im: im[:dims], off: 0.02 * rng.Float64()}, nil
}

type model struct {
	g, im []float64
	off   float64
}

func (m model) Score(x []float64) float64 {
	var dg, di float64
	for j := range m.g {
		dg += (x[j] - m.g[j]) * (x[j] - m.g[j])
		di += (x[j] - m.im[j]) * (x[j] - m.im[j])
	}
	dg, di = math.Sqrt(dg), math.Sqrt(di)
	if dg+di == 0 {
		return 0.5
	}
	return math.Min(1, di/(dg+di)+m.off)
}

// NewClassifier builds the fixture's classifiers by name. "rf" stands in
// for a forest in the sweep: the centroid toy over one feature per 50 of
// its "trees" (at least one, at most four), so the tree count matters.
func NewClassifier(name string, params map[string]any) (classify.Classifier, error) {
	switch name {
	case "centroid":
		return centroid{name: name}, nil
	case "axis":
		return centroid{name: name, dims: 1}, nil
	case "rf":
		trees, _ := params["trees"].(int)
		return centroid{name: name, dims: min(4, max(1, trees/50+1))}, nil
	}
	return nil, fmt.Errorf("reportstest: no classifier %q", name)
}

// manifest is the fixture's manifest: a command line with characters HTML
// must escape.
func manifest(seed int64) evaluate.Manifest {
	return evaluate.Manifest{
		Command: []string{"mouseauth", "evaluate", "compare", "--features", "features.csv", "--seed", "42", "--note", "<b>&'quoted'"},
		Version: "v0.1.0-test", Seed: seed, GoVersion: "go1.26.8",
		Started: time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC),
		Inputs: []evaluate.Input{{Path: "features.csv",
			SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Bytes: 123456}},
	}
}

func mustRun(e evaluate.Experiment) *evaluate.Run {
	e.NewClassifier = NewClassifier
	if e.Windows == nil {
		e.Windows = Windows
	}
	e.Stats.Resamples = 500
	r, err := e.Run(context.Background(), Table())
	if err != nil {
		panic(err) // the fixture is wrong
	}
	return r
}

// Run returns a run with every part a report draws, from real evaluations
// of [Table] with seed 42: the compare of [Classifiers] under the published
// preset (results, differences, rankings, scores), a sweep of the windows
// 1, 5, 10, 20 by the tree counts 10, 50, 100, 200 (the classifier ignores
// them) and the default thresholds of the centroid classifier. Each call
// returns a fresh value.
func Run() *evaluate.Run { return runOnce.get(buildRun) }

// SeedsRun returns the compare of [Run] over [Seeds]. Each call returns a
// fresh value.
func SeedsRun() *evaluate.Run { return seedsOnce.get(buildSeedsRun) }

var runOnce, seedsOnce cached

// cached builds a run once and hands out copies (JSON round trips, as
// run.json is), so the many tests that start from a fixture do not
// evaluate it again. The copies share the run's ScoreSets, which are not
// in JSON: tests must not change them.
type cached struct {
	once sync.Once
	data []byte
	sets []evaluate.ScoreSet
}

func (c *cached) get(build func() *evaluate.Run) *evaluate.Run {
	c.once.Do(func() {
		r := build()
		data, err := json.Marshal(r)
		if err != nil {
			panic(err)
		}
		c.data, c.sets = data, r.ScoreSets
	})
	var r evaluate.Run
	if err := json.Unmarshal(c.data, &r); err != nil {
		panic(err)
	}
	r.ScoreSets = c.sets
	return &r
}

func buildRun() *evaluate.Run {
	cmp := mustRun(evaluate.Experiment{Mode: evaluate.ModeCompare, Classifiers: Classifiers,
		Presets: []evaluate.Preset{evaluate.PresetPublished}, Settings: evaluate.Settings{Seed: 42}})
	sw := mustRun(evaluate.Experiment{Mode: evaluate.ModeSweep, Classifier: "rf", TreeRange: []int{10, 50, 100, 200},
		Preset: evaluate.PresetPublished, Settings: evaluate.Settings{Seed: 42, Windows: []int{1, 5, 10, 20}}})
	th := mustRun(evaluate.Experiment{Mode: evaluate.ModeThreshold, Classifier: "centroid", Preset: evaluate.PresetPublished,
		Thresholds: evaluate.DefaultThresholdRules(), Settings: evaluate.Settings{Seed: 42}})
	cmp.Manifest = manifest(42)
	cmp.Sweeps = sw.Sweeps
	cmp.Rankings = append(cmp.Rankings, sw.Rankings...)
	cmp.Thresholds = th.Thresholds
	return cmp
}

func buildSeedsRun() *evaluate.Run {
	r := mustRun(evaluate.Experiment{Mode: evaluate.ModeCompare, Classifiers: Classifiers,
		Presets: []evaluate.Preset{evaluate.PresetPublished}, Seeds: Seeds})
	r.Manifest = manifest(Seeds[0])
	return r
}

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

// Holdout returns a made-up held-out result: users user7 (2 genuine, 3
// impostor sessions), user9 (2 genuine, 3 impostor) and user12 (1
// genuine, no impostor: its AUC is undefined), with session and action
// ROCs and statistics.
func Holdout() evaluate.HoldoutResult {
	auc1, eer1, aauc1 := 0.833, 0.25, 0.71
	auc2, eer2, aauc2 := 0.5, 0.5, 0.55
	lo, hi := 0.61, 0.93
	h := evaluate.HoldoutResult{Train: "train_files", Test: "test_files", Classifier: "rf",
		Params: map[string]any{"trees": 100}, Seed: 3, Aggregate: "mean", NegativeRatio: 1, Convention: "clean",
		Sessions:    evaluate.HoldoutLevel{AUC: 0.8, EER: 0.3, Genuine: 5, Impostor: 6, ROC: roc(0.25, 10)},
		Actions:     evaluate.HoldoutLevel{AUC: 0.7, EER: 0.35, Genuine: 500, Impostor: 600, ROC: roc(0.43, 50)},
		UserMeanAUC: (auc1 + auc2) / 2, UserSDAUC: (auc1 - auc2) / 2, UsersDefined: 2,
		Unlabelled: []evaluate.SessionRef{{User: "user7", Session: "session_9"}},
		Seconds:    4.5,
		Stats: &evaluate.HoldoutStats{Unit: "claimed users", Resamples: 500, Seeds: 1, Users: 3,
			SessionAUC: evaluate.Estimate{Value: 0.8, Lo: &lo, Hi: &hi}, SessionEER: evaluate.Estimate{Value: 0.3},
			SessionFNMR: evaluate.Estimate{Value: 0.6}, SessionZero: evaluate.Estimate{Value: 0.8},
			ActionAUC: evaluate.Estimate{Value: 0.7}, ActionEER: evaluate.Estimate{Value: 0.35}},
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
