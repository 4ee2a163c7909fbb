package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/preprocess"
	"github.com/mouseauth/mouseauth/reports"
)

// Evaluate modes and presets, as flag values.
const (
	modeRun       = string(evaluate.ModeRun)
	modeSweep     = string(evaluate.ModeSweep)
	modeCompare   = string(evaluate.ModeCompare)
	modeThreshold = string(evaluate.ModeThreshold)

	presetReference = string(evaluate.PresetReference)
	presetImproved  = string(evaluate.PresetImproved)
)

// The list and range flag parsers, shared by the commands.
var (
	splitList       = cli.SplitList
	parseIntRange   = cli.ParseIntRange
	parseFloatRange = cli.ParseFloatRange
)

// loadFeatures reads a feature CSV, mouseauth's or a published one.
var loadFeatures = preprocess.ReadTableFile

// EvaluateOptions are the options of `mouseauth evaluate` and its
// subcommands.
type EvaluateOptions struct {
	IO      *cli.IOStreams
	Now     func() time.Time
	Args    []string // command line, for the manifest
	Version string

	Mode          string
	Features      string
	Protocol      string
	Preset        string
	Classifier    string
	Trees         int
	Windows       []int
	TrainFraction float64
	NegRatio      float64 // 0 = the preset's
	Aggregate     string  // "" = the preset's
	Seed          int64
	Workers       int
	Out           string
	Output        string

	TreeRange   []int     // sweep
	Classifiers []string  // compare
	Presets     []string  // compare
	Thresholds  []float64 // threshold

	// Load reads a feature file; NewClassifier builds a classifier by name
	// with its parameters. Tests replace them.
	Load          func(path string) (*preprocess.Table, error)
	NewClassifier func(name string, params map[string]any) (classify.Classifier, error)
}

// NewCmdEvaluate is `mouseauth evaluate`: per-user evaluation of a
// classifier on a feature file, plus sweep, compare and threshold.
func NewCmdEvaluate(f *cli.Factory) *cobra.Command {
	return newCmdEvaluate(f, nil)
}

func newEvaluateOptions(f *cli.Factory, mode string) *EvaluateOptions {
	return &EvaluateOptions{IO: f.IO, Now: f.Now, Args: f.Args, Version: f.Version, Mode: mode,
		Load: loadFeatures, NewClassifier: classify.New}
}

func newCmdEvaluate(f *cli.Factory, runF func(context.Context, *EvaluateOptions) error) *cobra.Command {
	opts := newEvaluateOptions(f, modeRun)
	var windows string
	cmd := &cobra.Command{
		Use:   "evaluate --features FILE",
		Short: "Evaluate per-user classifiers on a feature file (AUC, EER, accuracy)",
		Long: `Evaluate trains one model per user and reports, at each window size, each
user's AUC, EER and accuracy, then the mean and standard deviation over users.

Protocols:
  reference  the published protocol: first 2/3 of each user's actions train,
             the rest test; as many negatives as the user has actions are
             drawn at random from all other users and split the same way.
  strict     leave-impostors-out: half of the other users (seeded) are test
             impostors never seen in training; impostor windows run over one
             impostor's consecutive actions.

Presets:
  reference  random forest, 1 negative per positive, window score = mean
  improved   as reference, but the window score is the mean of the action
             scores' log-odds (mapped back to [0, 1]) and feature columns
             that duplicate another (mina/maxa in DFL) are dropped

A window of N scores consecutive test actions by their aggregate, moved one
action at a time. Accuracy is the balanced accuracy at window score 0.5.
With --out DIR the run is written to DIR/run.json for 'mouseauth report'.`,
		Example: `  mouseauth evaluate --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv --preset reference --window 1,5,10,20
  mouseauth evaluate --features ../shared/data/features/balabit_39feat_PC_MM_DD_1000.csv --protocol strict --out runs/strict
  mouseauth evaluate sweep --features F.csv --trees 10:100:10 --window 1:20
  mouseauth evaluate compare --features F.csv --classifiers rf --presets reference,improved
  mouseauth evaluate threshold --features F.csv --window 10 --thresholds 0:1:0.05`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.validate(windows); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return evaluateRun(cmd.Context(), opts)
		},
	}
	addEvaluateFlags(cmd, opts, &windows, "1,5,10,20")
	cmd.AddCommand(newCmdEvaluateSweep(f, runF), newCmdEvaluateCompare(f, runF), newCmdEvaluateThreshold(f, runF))
	return cmd
}

func addEvaluateFlags(cmd *cobra.Command, opts *EvaluateOptions, windows *string, defWindows string) {
	fl := cmd.Flags()
	fl.StringVar(&opts.Features, "features", "", "feature CSV (mouseauth or published format) (required)")
	fl.StringVar(&opts.Protocol, "protocol", "reference", "protocol: reference or strict")
	fl.StringVar(&opts.Preset, "preset", presetImproved, "settings preset: reference (published) or improved")
	fl.StringVar(&opts.Classifier, "classifier", "rf", "classifier: "+strings.Join(classify.Names(), ", "))
	fl.IntVar(&opts.Trees, "trees", 100, "random forest trees")
	fl.StringVar(windows, "window", defWindows, "window sizes: list and ranges, e.g. 1,5,10,20 or 1:20")
	fl.Float64Var(&opts.TrainFraction, "train-fraction", 2.0/3, "chronological share of each user's actions that trains")
	fl.Float64Var(&opts.NegRatio, "neg-ratio", 0, "training negatives per positive (0 = the preset's)")
	fl.StringVar(&opts.Aggregate, "aggregate", "", "window score: mean, median, trimmed or logodds (empty = the preset's)")
	fl.Int64Var(&opts.Seed, "seed", 0, "random seed (same seed, same numbers)")
	fl.IntVar(&opts.Workers, "workers", 0, "users evaluated at once (0 = GOMAXPROCS; results do not depend on it)")
	fl.StringVar(&opts.Out, "out", "", "directory to write run.json to")
	cli.AddOutputFlag(cmd, &opts.Output)
}

func newCmdEvaluateSweep(f *cli.Factory, runF func(context.Context, *EvaluateOptions) error) *cobra.Command {
	opts := newEvaluateOptions(f, modeSweep)
	var windows, trees string
	cmd := &cobra.Command{
		Use:   "sweep --features FILE",
		Short: "Mean AUC and EER over a grid of tree counts and window sizes",
		Long: `Sweep trains the random forest once per tree count and reports mean AUC,
its standard deviation, mean EER and the seconds taken at every window size.`,
		Example: `  mouseauth evaluate sweep --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv --trees 10:100:10 --window 1:20`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if opts.TreeRange, err = parseIntRange(trees); err != nil {
				return cli.FlagErrorf("--trees: %v", err)
			}
			if err := opts.validate(windows); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return evaluateRun(cmd.Context(), opts)
		},
	}
	addEvaluateFlagsExcept(cmd, opts, &windows, "1:20", "trees")
	cmd.Flags().StringVar(&trees, "trees", "10:100:10", "tree counts: list and ranges, e.g. 10:100:10")
	return cmd
}

// addEvaluateFlagsExcept adds the evaluate flags except the named ones.
func addEvaluateFlagsExcept(cmd *cobra.Command, opts *EvaluateOptions, windows *string, defWindows string, except ...string) {
	tmp := &cobra.Command{}
	addEvaluateFlags(tmp, opts, windows, defWindows)
	tmp.Flags().VisitAll(func(fl *pflag.Flag) {
		if !slices.Contains(except, fl.Name) {
			cmd.Flags().AddFlag(fl)
		}
	})
}

func newCmdEvaluateCompare(f *cli.Factory, runF func(context.Context, *EvaluateOptions) error) *cobra.Command {
	opts := newEvaluateOptions(f, modeCompare)
	var windows, classifiers, presets string
	cmd := &cobra.Command{
		Use:   "compare --features FILE",
		Short: "Evaluate several classifiers (and presets) under the same protocol and seed",
		Long: `Compare runs one evaluation per classifier and preset and prints their mean
figures beside each other; --out writes every Result (with mean ROC curves).`,
		Example: `  mouseauth evaluate compare --features F.csv --classifiers rf --presets reference,improved
  mouseauth evaluate compare --features F.csv --classifiers rf --presets reference,improved --window 1,5,10,20`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Classifiers = splitList(classifiers)
			opts.Presets = splitList(presets)
			if len(opts.Classifiers) == 0 || len(opts.Presets) == 0 {
				return cli.FlagErrorf("--classifiers and --presets need at least one name")
			}
			for _, c := range opts.Classifiers {
				if !slices.Contains(classify.Names(), c) {
					return cli.FlagErrorf("--classifiers: unknown classifier %q (have %s)", c, strings.Join(classify.Names(), ", "))
				}
			}
			for _, p := range opts.Presets {
				if _, err := evaluate.ParsePreset(p); err != nil {
					return cli.FlagErrorf("--presets: %v", err)
				}
			}
			if err := opts.validate(windows); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return evaluateRun(cmd.Context(), opts)
		},
	}
	addEvaluateFlagsExcept(cmd, opts, &windows, "1,5,10,20", "classifier", "preset")
	cmd.Flags().StringVar(&classifiers, "classifiers", "rf", "classifiers to compare, comma-separated: "+strings.Join(classify.Names(), ", "))
	cmd.Flags().StringVar(&presets, "presets", presetImproved, "presets to compare: reference, improved or both")
	return cmd
}

func newCmdEvaluateThreshold(f *cli.Factory, runF func(context.Context, *EvaluateOptions) error) *cobra.Command {
	opts := newEvaluateOptions(f, modeThreshold)
	var windows, thresholds string
	cmd := &cobra.Command{
		Use:   "threshold --features FILE",
		Short: "False alarm rate, miss rate and detection delays per alarm threshold",
		Long: `Threshold raises an alarm when a window's score falls below p and reports,
for each p: the false alarm rate (genuine windows that alarm), the miss rate
(impostor windows that do not), the mean number of impostor actions until the
first alarm and of genuine actions until the first false alarm. Each stream
is walked one action at a time; the delay is the count of actions up to and
including the one that completes the first alarming window; a stream that
never alarms counts its whole length (and the detected/alarmed shares say how
many did). With several --window sizes, each gets its own curves.`,
		Example: `  mouseauth evaluate threshold --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv --window 10 --thresholds 0:1:0.05`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if opts.Thresholds, err = parseFloatRange(thresholds); err != nil {
				return cli.FlagErrorf("--thresholds: %v", err)
			}
			for _, p := range opts.Thresholds {
				if p < 0 || p > 1 {
					return cli.FlagErrorf("--thresholds: %v is outside [0, 1]", p)
				}
			}
			if err := opts.validate(windows); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return evaluateRun(cmd.Context(), opts)
		},
	}
	addEvaluateFlags(cmd, opts, &windows, "10")
	cmd.Flags().StringVar(&thresholds, "thresholds", "0:1:0.05", "thresholds: list and ranges, e.g. 0:1:0.05")
	return cmd
}

// validate checks the flags shared by the evaluate commands.
func (o *EvaluateOptions) validate(windows string) error {
	if o.Features == "" {
		return cli.FlagErrorf("--features is required")
	}
	if o.Classifier != "" && !slices.Contains(classify.Names(), o.Classifier) {
		return cli.FlagErrorf("--classifier: unknown classifier %q (have %s)", o.Classifier, strings.Join(classify.Names(), ", "))
	}
	var err error
	if o.Windows, err = parseIntRange(windows); err != nil {
		return cli.FlagErrorf("--window: %v", err)
	}
	for _, w := range o.Windows {
		if w < 1 {
			return cli.FlagErrorf("--window: size %d must be >= 1", w)
		}
	}
	if _, err := evaluate.ParseProtocol(o.Protocol); err != nil {
		return cli.FlagErrorf("--protocol: %v", err)
	}
	if _, err := evaluate.ParsePreset(o.Preset); o.Mode != modeCompare && err != nil {
		return cli.FlagErrorf("--preset: %v", err)
	}
	if o.Aggregate != "" {
		if _, err := evaluate.ParseAggregate(o.Aggregate); err != nil {
			return cli.FlagErrorf("--aggregate: %v", err)
		}
	}
	if o.Trees < 1 {
		return cli.FlagErrorf("--trees: %d must be >= 1", o.Trees)
	}
	for _, t := range o.TreeRange {
		if t < 1 {
			return cli.FlagErrorf("--trees: %d must be >= 1", t)
		}
	}
	if o.TrainFraction <= 0 || o.TrainFraction >= 1 {
		return cli.FlagErrorf("--train-fraction: %v must be in (0, 1)", o.TrainFraction)
	}
	if o.NegRatio < 0 {
		return cli.FlagErrorf("--neg-ratio: %v must be >= 0", o.NegRatio)
	}
	return cli.ValidateOutput(o.Output)
}

// experiment returns the evaluation the options describe.
func (o *EvaluateOptions) experiment() *evaluate.Experiment {
	e := &evaluate.Experiment{Mode: evaluate.Mode(o.Mode), Settings: evaluate.Settings{
		Protocol: evaluate.Protocol(o.Protocol), Windows: o.Windows, TrainFraction: o.TrainFraction,
		NegativeRatio: o.NegRatio, Aggregate: evaluate.Aggregate(o.Aggregate), Seed: o.Seed, Workers: o.Workers, Now: o.Now},
		Preset: evaluate.Preset(o.Preset), Classifier: o.Classifier, Trees: o.Trees, TreeRange: o.TreeRange,
		Classifiers: o.Classifiers, Thresholds: o.Thresholds, NewClassifier: o.NewClassifier}
	for _, p := range o.Presets {
		e.Presets = append(e.Presets, evaluate.Preset(p))
	}
	return e
}

func evaluateRun(ctx context.Context, o *EvaluateOptions) error {
	started := o.Now()
	d, err := o.Load(o.Features)
	if err != nil {
		return err
	}
	if err := d.Validate(); err != nil {
		return fmt.Errorf("%s: %w", o.Features, err)
	}
	for _, note := range evaluate.DefectNotes(o.Features, d) {
		fmt.Fprintf(o.IO.ErrOut, "note: %s\n", note)
	}
	e := o.experiment()
	what := o.Mode
	if o.Mode == modeRun || o.Mode == modeThreshold {
		what = o.Protocol + " " + o.Classifier
	}
	var stop func()
	e.Progress, stop = cli.ProgressFunc(o.IO, what, "users")
	run, err := e.Run(ctx, d)
	stop()
	if err != nil {
		return err
	}
	if err := cli.Render(o.IO.Out, o.Output, reports.CommandTable(e.Mode, run)); err != nil {
		return err
	}
	for _, r := range run.Results {
		for _, s := range r.Skipped {
			fmt.Fprintf(o.IO.ErrOut, "skipped user %s (window %d): %s\n", s.User, s.Window, s.Reason)
		}
	}
	if o.Out == "" {
		return nil
	}
	if run.Manifest, err = evaluate.NewManifest(o.Args, o.Version, o.Seed, started, o.Features); err != nil {
		return err
	}
	path, err := reports.WriteRun(o.Out, run)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "wrote %s\n", path)
	return nil
}
