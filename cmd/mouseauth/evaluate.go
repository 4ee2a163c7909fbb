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
	modeHoldout   = string(evaluate.ModeHoldout)

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
	// Seeds, with two or more, runs once per seed and reports mean ± sd
	// over seeds (--seeds); nil means Seed alone.
	Seeds []int64
	// Params are the --param settings, parsed for Classifier.
	Params  map[string]any
	Workers int
	Out     string
	Output  string

	TreeRange   []int     // sweep
	Classifiers []string  // compare
	Presets     []string  // compare
	Thresholds  []float64 // threshold

	// holdout
	Train, Test string // feature CSV or folder of raw logs (user folders)
	Labels      string // labels file (filename,is_illegal); "" = every test session genuine
	Compat      string // convention for raw logs: clean or reference
	MaxActions  int    // per training user; 0 = all
	Cross       bool   // also score genuine test sessions against the other users' models
	Models      string // folder to save the trained models to

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
type evaluateFlags struct {
	windows, trees, thresholds, classifiers, presets, seeds string
	params                                                  []string
	// seedSet and treesSet: --seed and --trees were given explicitly.
	seedSet, treesSet bool
}

// evaluateCommand builds one evaluate command of mode and returns it, its
// flag values and its options; windows is the default of --window, except
// names flags the mode replaces or lacks.
func evaluateCommand(f *cli.Factory, runF func(context.Context, *EvaluateOptions) error, mode string,
	cmd *cobra.Command, windows string, except ...string) (*cobra.Command, *evaluateFlags, *EvaluateOptions) {
	opts := newEvaluateOptions(f, mode)
	fl := &evaluateFlags{}
	cmd.Args = cobra.NoArgs
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		fl.seedSet = cmd.Flags().Changed("seed")
		fl.treesSet = cmd.Flags().Changed("trees") || mode == modeSweep && cmd.Flags().Changed("tree-counts")
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
	if has("features") {
		set.StringVar(&opts.Features, "features", "", "feature CSV (mouseauth or published format) (required)")
	}
	if has("protocol") {
		set.StringVar(&opts.Protocol, "protocol", "reference", "protocol: reference or strict")
	}
	if has("preset") {
		set.StringVar(&opts.Preset, "preset", presetImproved, "settings preset: reference (published) or improved")
	}
	if has("classifier") {
		set.StringVar(&opts.Classifier, "classifier", "", "classifier: "+strings.Join(classify.Names(), ", ")+" (empty = the preset's: gbdt for improved, rf for reference)")
	}
	if has("trees") {
		set.IntVar(&opts.Trees, "trees", 100, "trees of a forest classifier (refused for a classifier without trees)")
	}
	if has("param") {
		set.StringArrayVar(&fl.params, "param", nil, "classifier parameter name=value, repeatable (see 'Classifier parameters')")
	}
	if has("windows") {
		set.StringVar(&fl.windows, "windows", windows, "window sizes in actions, list and ranges, e.g. 1,5,10,20 or 1:20")
		cli.Alias(set, "window", "windows")
	}
	if has("train-fraction") {
		set.Float64Var(&opts.TrainFraction, "train-fraction", 2.0/3, "chronological share of each user's actions that trains")
	}
	if mode == modeHoldout {
		set.Float64Var(&opts.NegRatio, "neg-ratio", 1, "training negatives per positive, drawn from the other training users")
		set.StringVar(&opts.Aggregate, "aggregate", "mean", "session score from the action scores: mean, median, trimmed or logodds")
	} else {
		set.Float64Var(&opts.NegRatio, "neg-ratio", 0, "training negatives per positive (0 = the preset's)")
		set.StringVar(&opts.Aggregate, "aggregate", "", "window score: mean, median, trimmed or logodds (empty = the preset's)")
	}
	bindSeed(set, &opts.Seed, "random seed (same seed, same numbers)")
	if has("seeds") {
		set.StringVar(&fl.seeds, "seeds", "", "run once per seed, list and ranges (e.g. 0:9), and report mean ± sd over seeds; not with --seed")
	}
	set.IntVar(&opts.Workers, "workers", 0, "users evaluated at once (0 = GOMAXPROCS; results do not depend on it)")
	set.StringVar(&opts.Out, "out", "", "directory to write run.json to")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd, fl, opts
}

func newCmdEvaluate(f *cli.Factory, runF func(context.Context, *EvaluateOptions) error) *cobra.Command {
	cmd, _, _ := evaluateCommand(f, runF, modeRun, &cobra.Command{
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
With --out DIR the run is written to DIR/run.json for 'mouseauth report'.
` + seedsHelp + "\n" + paramsHelp(),
		Example: `  mouseauth evaluate --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv --preset reference --windows 1,5,10,20
  mouseauth evaluate --features ../shared/data/features/balabit_39feat_PC_MM_DD_1000.csv --protocol strict --out runs/strict
  mouseauth evaluate sweep --features F.csv --tree-counts 10:100:10 --windows 1:20
  mouseauth evaluate compare --features F.csv --classifiers rf --presets reference,improved
  mouseauth evaluate threshold --features F.csv --windows 10 --thresholds 0:1:0.05
  mouseauth evaluate --features ../shared/data/features/dfl_39feat_PC_MM_DD_50.csv --seeds 0:4 --windows 1,10 --trees 20
  mouseauth evaluate holdout --train train_files --test test_files --labels labels.csv --seeds 0:9 --out runs/holdout`,
	}, "1,5,10,20")
	cmd.AddCommand(newCmdEvaluateSweep(f, runF), newCmdEvaluateCompare(f, runF), newCmdEvaluateThreshold(f, runF),
		newCmdEvaluateHoldout(f, runF), newCmdEvaluateContinuous(f, nil), newCmdEvaluateAttack(f, nil))
	return cmd
}

// seedsHelp is the part of the evaluate commands' help on --seeds.
const seedsHelp = `
--seeds 0:9 runs the whole evaluation once per seed and reports each figure
as its mean and standard deviation over the seeds (the seed noise) beside
the per-user spread (the standard deviation over users, averaged over the
seeds). Differences (between classifiers or presets in compare, between
adjacent points of a sweep, against the published figure where the input is
a published file) are paired over the same seeds: the mean difference, its
standard error (sd of the per-seed differences / sqrt(seeds)), and "beyond
noise" when |mean difference| > 2 standard errors. run.json keeps the first
seed's per-user details and curves and every seed's figures.

-o json prints one object with an array per section ("summary", "users",
...), never a summary row among per-user rows; -o csv prints the first
section; numbers keep full precision in CSV and JSON, four decimals in the
table.`

// paramsHelp lists every classifier's parameters for --help.
func paramsHelp() string {
	return "\nClassifier parameters (--param name=value; --trees sets trees):\n" + strings.TrimRight(classify.ParamHelp(), "\n")
}
