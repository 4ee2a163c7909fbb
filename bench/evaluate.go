package bench

import (
	"context"
	"errors"
	"runtime"
	"time"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/preprocess"
)

// The published evaluation script's time for one DFL-500 run, in seconds
// (../shared/data/README.md): the peer of [RunEvaluate].
const (
	PublishedEvaluateMinSeconds = 40.0
	PublishedEvaluateMaxSeconds = 65.0
)

// EvaluateOptions configure [RunEvaluate].
type EvaluateOptions struct {
	Features string // the feature file, read by Load in each timed run
	Trees    int    // random forest trees (the reference preset's)
	Windows  []int
	Seed     int64
	// Presets are timed one after the other, each with its own classifier
	// (rf for published, gbdt for improved); default published.
	Presets []evaluate.Preset
	// Procs lists the GOMAXPROCS settings to time (0 = the current one).
	Procs []int
	Now   func() time.Time
	// Load reads a feature file and NewClassifier builds one (default
	// preprocess.ReadTableFile and classify.New); tests replace them.
	Load          func(path string) (*preprocess.Table, error)
	NewClassifier func(name string, params map[string]any) (classify.Classifier, error)
	// Started, when set, is called before each timed run.
	Started func(p evaluate.Preset, procs int)
}

// EvaluateRow is one timed run.
type EvaluateRow struct {
	Preset     evaluate.Preset
	GOMAXPROCS int
	Users      int
	Seconds    float64
	// MeanAUC per window size, in the order of EvaluateOptions.Windows.
	MeanAUC []float64
}

// RunEvaluate times the reference-protocol evaluation end to end (read
// the feature file, train a model per user, score, window, ROC/AUC) once
// per preset and o.Procs setting. It sets runtime.GOMAXPROCS for the
// duration of a timed run and restores it: nothing else of the process
// should run meanwhile.
func RunEvaluate(ctx context.Context, o EvaluateOptions) ([]EvaluateRow, error) {
	if o.Trees < 1 || len(o.Windows) == 0 {
		return nil, errors.New("bench: evaluate needs at least 1 tree and a window size")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Load == nil {
		o.Load = preprocess.ReadTableFile
	}
	if o.NewClassifier == nil {
		o.NewClassifier = classify.New
	}
	if len(o.Presets) == 0 {
		o.Presets = []evaluate.Preset{evaluate.PresetPublished}
	}
	var rows []EvaluateRow
	for _, p := range o.Presets {
		for _, procs := range o.Procs {
			if procs == 0 {
				procs = runtime.GOMAXPROCS(0)
			}
			if o.Started != nil {
				o.Started(p, procs)
			}
			row, err := timeEvaluate(ctx, o, p, procs)
			if err != nil {
				return rows, err
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

func timeEvaluate(ctx context.Context, o EvaluateOptions, p evaluate.Preset, procs int) (EvaluateRow, error) {
	old := runtime.GOMAXPROCS(procs)
	defer runtime.GOMAXPROCS(old)
	row := EvaluateRow{Preset: p, GOMAXPROCS: procs}
	start := o.Now()
	d, err := o.Load(o.Features)
	if err != nil {
		return row, err
	}
	params := evaluate.ClassifierParams(p.Classifier(), o.Trees)
	c, err := o.NewClassifier(p.Classifier(), params)
	if err != nil {
		return row, err
	}
	res, err := evaluate.Evaluate(ctx, d, evaluate.PresetOptions(p, c, params, evaluate.Settings{Protocol: evaluate.Reference,
		Windows: o.Windows, Seed: o.Seed, Workers: procs}))
	if err != nil {
		return row, err
	}
	row.Seconds = o.Now().Sub(start).Seconds()
	if len(res.Summary) > 0 {
		row.Users = res.Summary[0].Users
	}
	for _, w := range o.Windows {
		s, _ := res.Find(w)
		row.MeanAUC = append(row.MeanAUC, s.MeanAUC)
	}
	return row, nil
}
