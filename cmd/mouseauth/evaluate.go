package main

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/preprocess"
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

// evaluateFlags are the flag values parsed in validate.
type evaluateFlags struct{ windows, trees, thresholds, classifiers, presets string }

// evaluateCommand builds one evaluate command of mode; windows is the
// default of --window, except names flags the mode replaces or lacks.
func evaluateCommand(f *cli.Factory, runF func(context.Context, *EvaluateOptions) error, mode string,
	cmd *cobra.Command, windows string, except ...string) (*cobra.Command, *evaluateFlags) {
	opts := newEvaluateOptions(f, mode)
	fl := &evaluateFlags{}
	cmd.Args = cobra.NoArgs
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := opts.validate(fl); err != nil {
			return err
		}
		if runF != nil {
			return runF(cmd.Context(), opts)
		}
		return evaluateRun(cmd.Context(), opts)
	}
	set := cmd.Flags()
	has := func(name string) bool { return !slices.Contains(except, name) }
	set.StringVar(&opts.Features, "features", "", "feature CSV (mouseauth or published format) (required)")
	set.StringVar(&opts.Protocol, "protocol", "reference", "protocol: reference or strict")
	if has("preset") {
		set.StringVar(&opts.Preset, "preset", presetImproved, "settings preset: reference (published) or improved")
	}
	if has("classifier") {
		set.StringVar(&opts.Classifier, "classifier", "", "classifier: "+strings.Join(classify.Names(), ", ")+" (empty = the preset's: gbdt for improved, rf for reference)")
	}
	if has("trees") {
		set.IntVar(&opts.Trees, "trees", 100, "random forest trees")
	}
	set.StringVar(&fl.windows, "window", windows, "window sizes: list and ranges, e.g. 1,5,10,20 or 1:20")
	set.Float64Var(&opts.TrainFraction, "train-fraction", 2.0/3, "chronological share of each user's actions that trains")
	set.Float64Var(&opts.NegRatio, "neg-ratio", 0, "training negatives per positive (0 = the preset's)")
	set.StringVar(&opts.Aggregate, "aggregate", "", "window score: mean, median, trimmed or logodds (empty = the preset's)")
	set.Int64Var(&opts.Seed, "seed", 0, "random seed (same seed, same numbers)")
	set.IntVar(&opts.Workers, "workers", 0, "users evaluated at once (0 = GOMAXPROCS; results do not depend on it)")
	set.StringVar(&opts.Out, "out", "", "directory to write run.json to")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd, fl
}

func newCmdEvaluate(f *cli.Factory, runF func(context.Context, *EvaluateOptions) error) *cobra.Command {
	cmd, _ := evaluateCommand(f, runF, modeRun, &cobra.Command{
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
  reference  random forest (rf, 100 trees), 1 negative per positive, window
             score = mean: the published code
  improved   (the default) gradient-boosted trees (gbdt), 8 negatives per
             positive, window score = the mean of the action scores'
             log-odds (mapped back to [0, 1]), feature columns that
             duplicate another (mina/maxa in DFL) dropped, the 2147483647
             placeholder read as 0; --classifier and --neg-ratio override

A window of N scores consecutive test actions by their aggregate, moved one
action at a time. Accuracy is the balanced accuracy at window score 0.5.
With --out DIR the run is written to DIR/run.json for 'mouseauth report'.`,
		Example: `  mouseauth evaluate --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv --preset reference --window 1,5,10,20
  mouseauth evaluate --features ../shared/data/features/balabit_39feat_PC_MM_DD_1000.csv --protocol strict --out runs/strict
  mouseauth evaluate sweep --features F.csv --trees 10:100:10 --window 1:20
  mouseauth evaluate compare --features F.csv --classifiers rf --presets reference,improved
  mouseauth evaluate threshold --features F.csv --window 10 --thresholds 0:1:0.05`,
	}, "1,5,10,20")
	cmd.AddCommand(newCmdEvaluateSweep(f, runF), newCmdEvaluateCompare(f, runF), newCmdEvaluateThreshold(f, runF))
	return cmd
}

// validate parses and checks the flags of every evaluate command.
func (o *EvaluateOptions) validate(fl *evaluateFlags) error {
	var err error
	switch o.Mode {
	case modeSweep:
		if o.TreeRange, err = parseIntRange(fl.trees); err != nil {
			return cli.FlagErrorf("--trees: %v", err)
		}
	case modeCompare:
		o.Classifiers, o.Presets = splitList(fl.classifiers), splitList(fl.presets)
		if len(o.Classifiers) == 0 || len(o.Presets) == 0 {
			return cli.FlagErrorf("--classifiers and --presets need at least one name")
		}
		for _, c := range o.Classifiers {
			if !slices.Contains(classify.Names(), c) {
				return cli.FlagErrorf("--classifiers: unknown classifier %q (have %s)", c, strings.Join(classify.Names(), ", "))
			}
		}
		for _, p := range o.Presets {
			if _, err := evaluate.ParsePreset(p); err != nil {
				return cli.FlagErrorf("--presets: %v", err)
			}
		}
	case modeThreshold:
		if o.Thresholds, err = parseFloatRange(fl.thresholds); err != nil {
			return cli.FlagErrorf("--thresholds: %v", err)
		}
		for _, p := range o.Thresholds {
			if p < 0 || p > 1 {
				return cli.FlagErrorf("--thresholds: %v is outside [0, 1]", p)
			}
		}
	}
	if o.Features == "" {
		return cli.FlagErrorf("--features is required")
	}
	if o.Classifier != "" && !slices.Contains(classify.Names(), o.Classifier) {
		return cli.FlagErrorf("--classifier: unknown classifier %q (have %s)", o.Classifier, strings.Join(classify.Names(), ", "))
	}
	if o.Windows, err = parseIntRange(fl.windows); err != nil {
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
	if o.Trees < 1 && o.Mode != modeSweep {
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
