package main

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/preprocess"
)

// Published evaluation script time for one DFL-500 run (../shared/data/README.md).
const (
	publishedMinSecs = 40.0
	publishedMaxSecs = 65.0
)

// BenchEvaluateOptions are the options of `mouseauth bench evaluate`.
type BenchEvaluateOptions struct {
	IO       *cli.IOStreams
	Now      func() time.Time
	Features string
	Trees    int
	Windows  []int
	Seed     int64
	Output   string
	// Presets are timed one after the other, each with its own classifier
	// (rf for reference, gbdt for improved).
	Presets []evaluate.Preset
	// Procs lists the GOMAXPROCS settings to time (0 = the current one).
	Procs []int

	Load          func(path string) (*preprocess.Table, error)
	NewClassifier func(name string, params map[string]any) (classify.Classifier, error)
}

func newCmdBenchEvaluate(f *cli.Factory) *cobra.Command {
	return newCmdBenchEvaluateF(f, nil)
}

func newCmdBenchEvaluateF(f *cli.Factory, runF func(context.Context, *BenchEvaluateOptions) error) *cobra.Command {
	opts := &BenchEvaluateOptions{IO: f.IO, Now: f.Now, Load: loadFeatures, NewClassifier: classify.New}
	var windows, presets string
	cmd := &cobra.Command{
		Use:   "evaluate --features FILE",
		Short: "Time the published and improved evaluations end to end against the published script",
		Long: `Bench evaluate times the reference-protocol evaluation (read the feature
file, train a model per user, score, window, ROC/AUC) end to end under each
preset (published: a random forest, as published; improved: the evaluate
commands' default, gbdt with 8 negatives per positive), with all cores and
with GOMAXPROCS=1, and prints the seconds and the speed-up over the
published Python script's 40-65 s for the DFL-500 file.`,
		Example: `  mouseauth bench evaluate --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv
  mouseauth bench evaluate --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv --presets improved --windows 1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Features == "" {
				return cli.FlagErrorf("--features is required")
			}
			var err error
			if opts.Windows, err = parseIntRange(windows); err != nil {
				return cli.FlagErrorf("--windows: %v", err)
			}
			for _, w := range opts.Windows {
				if w < 1 {
					return cli.FlagErrorf("--windows: size %d must be >= 1", w)
				}
			}
			if opts.Trees < 1 {
				return cli.FlagErrorf("--trees: %d must be >= 1", opts.Trees)
			}
			if opts.Presets, err = parsePresets(opts.IO.ErrOut, "--presets", presets); err != nil {
				return err
			}
			if err := cli.ValidateOutput(opts.Output); err != nil {
				return err
			}
			opts.Procs = []int{0, 1}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return benchEvaluateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Features, "features", "", "feature CSV, e.g. dfl_39feat_PC_MM_DD_500.csv (required)")
	cmd.Flags().IntVar(&opts.Trees, "trees", 100, "random forest trees (the published preset's)")
	cmd.Flags().StringVar(&presets, "presets", "both", "presets to time, comma-separated: published, improved, or both")
	cmd.Flags().StringVar(&windows, "windows", "1,10", "window sizes in actions, list and ranges")
	cli.Alias(cmd.Flags(), "window", "windows")
	bindSeed(cmd.Flags(), &opts.Seed, "random seed (same seed, same numbers)")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// benchEvaluateRun times one evaluation per preset and GOMAXPROCS setting.
// It sets runtime.GOMAXPROCS for the duration of a timed run and restores
// it.
func benchEvaluateRun(ctx context.Context, o *BenchEvaluateOptions) error {
	t := &cli.Table{Columns: []string{"preset", "gomaxprocs", "users", "seconds", "speedup_vs_40s", "speedup_vs_65s"}}
	for _, w := range o.Windows {
		t.Columns = append(t.Columns, fmt.Sprintf("auc_w%d", w))
	}
	for _, p := range o.Presets {
		for _, procs := range o.Procs {
			if procs == 0 {
				procs = runtime.GOMAXPROCS(0)
			}
			fmt.Fprintf(o.IO.ErrOut, "timing the %s preset with GOMAXPROCS=%d ...\n", p, procs)
			secs, res, err := timeEvaluate(ctx, o, p, procs)
			if err != nil {
				return err
			}
			row := []any{string(p), procs, countUsersResult(res), secs, publishedMinSecs / secs, publishedMaxSecs / secs}
			for _, w := range o.Windows {
				s, _ := res.Find(w)
				row = append(row, s.MeanAUC)
			}
			t.Add(row...)
		}
	}
	return cli.Render(o.IO.Out, o.Output, t)
}

func timeEvaluate(ctx context.Context, o *BenchEvaluateOptions, p evaluate.Preset, procs int) (float64, evaluate.Result, error) {
	old := runtime.GOMAXPROCS(procs)
	defer runtime.GOMAXPROCS(old)
	start := o.Now()
	d, err := o.Load(o.Features)
	if err != nil {
		return 0, evaluate.Result{}, err
	}
	params := evaluate.ClassifierParams(p.Classifier(), o.Trees)
	c, err := o.NewClassifier(p.Classifier(), params)
	if err != nil {
		return 0, evaluate.Result{}, err
	}
	res, err := evaluate.Evaluate(ctx, d, evaluate.PresetOptions(p, c, params, evaluate.Settings{Protocol: evaluate.Reference,
		Windows: o.Windows, Seed: o.Seed, Workers: procs}))
	if err != nil {
		return 0, evaluate.Result{}, err
	}
	return o.Now().Sub(start).Seconds(), res, nil
}

func countUsersResult(r evaluate.Result) int {
	if len(r.Summary) == 0 {
		return 0
	}
	return r.Summary[0].Users
}
