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

	presetPublished = string(evaluate.PresetPublished)
	presetImproved  = string(evaluate.PresetImproved)
	// presetDefault is the preset every command that trains takes.
	presetDefault = string(evaluate.DefaultPreset)
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

	TreeRange   []int                   // sweep
	Classifiers []string                // compare ("" = each preset's)
	Presets     []string                // compare
	Thresholds  evaluate.ThresholdRules // threshold
	// Resamples is the number of bootstrap resamples of the intervals.
	Resamples int

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
	windows, trees, classifiers, presets, seeds string
	thresholds, fmrTargets, quantiles           string
	params                                      []string
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
		set.StringVar(&opts.Preset, "preset", presetDefault, "settings preset: improved or published (the published evaluation's; it was called reference)")
	}
	if has("classifier") {
		set.StringVar(&opts.Classifier, "classifier", "", "classifier: "+strings.Join(classify.Names(), ", ")+" (empty = the preset's: gbdt for improved, rf for published)")
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
		set.Float64Var(&opts.NegRatio, "neg-ratio", 0, "training negatives per positive, drawn from the other training users (0 = the preset's: 8 improved, 1 published)")
		set.StringVar(&opts.Aggregate, "aggregate", "", "session score from the action scores: mean, median, trimmed or logodds (empty = the preset's)")
	} else {
		set.Float64Var(&opts.NegRatio, "neg-ratio", 0, "training negatives per positive (0 = the preset's: 8 improved, 1 published)")
		set.StringVar(&opts.Aggregate, "aggregate", "", "window score: mean, median, trimmed or logodds (empty = the preset's)")
	}
	bindSeed(set, &opts.Seed, "random seed (same seed, same numbers)")
	if has("seeds") {
		set.StringVar(&fl.seeds, "seeds", "", "run once per seed, list and ranges (e.g. 0:9), folded into every figure and interval; not with --seed")
	}
	set.IntVar(&opts.Resamples, "resamples", evaluate.DefaultResamples, "bootstrap resamples of every 95% interval (over users)")
	set.IntVar(&opts.Workers, "workers", 0, "users evaluated at once (0 = GOMAXPROCS; results do not depend on it)")
	set.StringVar(&opts.Out, "out", "", "directory to write run.json, scores.csv.gz and curves.csv.gz to")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd, fl, opts
}

func newCmdEvaluate(f *cli.Factory, runF func(context.Context, *EvaluateOptions) error) *cobra.Command {
	cmd, _, _ := evaluateCommand(f, runF, modeRun, &cobra.Command{
		Use:   "evaluate --features FILE",
		Short: "Evaluate per-user classifiers on a feature file (AUC, EER, FNMR at FMR, HTER, with intervals)",
		Long: `Evaluate trains one model per user and reports, at each window size, each
user's AUC and EER and, over users, every figure with its 95% interval.

Protocols:
  reference  the published protocol: first 2/3 of each user's actions train,
             the rest test; as many negatives as the user has actions are
             drawn at random from all other users and split the same way.
  strict     leave-impostors-out: half of the other users (seeded) are test
             impostors never seen in training; impostor windows run over one
             impostor's consecutive actions.

Presets (every command that trains takes improved by default):
  improved   gradient-boosted trees (gbdt), 8 negatives and 1 synthetic
             background negative (docs/guard.md) per positive, window
             score = the mean of the action scores' log-odds (mapped back
             to [0, 1]), feature columns that duplicate another (mina/maxa
             in DFL) dropped, the 2147483647 placeholder read as 0;
             --classifier and --neg-ratio override
  published  random forest (rf, 100 trees), 1 negative per positive, window
             score = mean: the published code (this preset was called
             reference; that name still works, with a warning)

A window of N scores consecutive test actions by their aggregate, moved one
action at a time; a window is accepted when its score is at or above a
threshold. The figures (ISO/IEC 19795-1 terms; rates are fractions):
  mean_auc, mean_eer   each user's windows against the user's own
                       threshold, the AUC and EER of each, averaged over
                       users (the published convention)
  pooled_auc/_eer      every user's windows against one global threshold,
                       as the live service decides
  fnmr_at_fmr_1pct     the lowest FNMR (genuine windows rejected) of a
  fnmr_at_fmr_0_1pct   global threshold whose FMR (impostor windows
  zero_fmr             accepted) is at most 1%, 0.1%, 0
  hter                 (FMR + FNMR) / 2 on the second half of every test
                       stream at the threshold of the pooled EER of the
                       first half (development data)
  ania, anga           the decision engine's sequential figures (empty
                       until it provides them)
Each figure X comes with X_lo and X_hi, its 95% percentile bootstrap
interval over users (--resamples draws of the users, each with all its
windows). An EER is where FMR and FNMR cross on the ROC, linearly
interpolated between its points.

With --out DIR the run is written to DIR/run.json for 'mouseauth report',
with every scored window in DIR/scores.csv.gz (result, seed, window,
claimed_user, user, session, label, score, ...) and every ROC at full
resolution in DIR/curves.csv.gz. Ctrl-C keeps what finished: the seeds (or
compared configurations) done are written, marked incomplete.
` + seedsHelp + "\n" + paramsHelp(),
		Example: `  mouseauth evaluate --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv --preset published --windows 1,5,10,20
  mouseauth evaluate --features ../shared/data/features/balabit_39feat_PC_MM_DD_1000.csv --protocol strict --out runs/strict
  mouseauth evaluate sweep --features F.csv --classifier rf --tree-counts 10:100:10 --windows 1:20
  mouseauth evaluate compare --features F.csv --presets both --seeds 0:9
  mouseauth evaluate threshold --features F.csv --windows 10 --fmr-targets 0.001,0.01
  mouseauth evaluate --features ../shared/data/features/dfl_39feat_PC_MM_DD_50.csv --seeds 0:4 --windows 1,10
  mouseauth evaluate holdout --train train_files --test test_files --labels labels.csv --seeds 0:9 --out runs/holdout`,
	}, "1,5,10,20")
	cmd.AddCommand(newCmdEvaluateSweep(f, runF), newCmdEvaluateCompare(f, runF), newCmdEvaluateThreshold(f, runF),
		newCmdEvaluateHoldout(f, runF), newCmdEvaluateContinuous(f, nil), newCmdEvaluateAttack(f, nil))
	return cmd
}

// seedsHelp is the part of the evaluate commands' help on --seeds and the
// output.
const seedsHelp = `
--seeds 0:9 runs the whole evaluation once per seed and folds the seeds into
every figure: each user's figure is averaged over the seeds, pooled figures
pool every seed's windows, and the intervals are over users (sd_auc_seeds
gives the seed noise). Differences (between classifiers or presets in
compare, against the published figure where the input is a published file)
are paired over the same users and seeds: B − A of the mean per-user AUC
with its 95% interval over users, the Wilcoxon signed-rank p-value of the
per-user differences, and DeLong's test of the pooled ROCs. A difference is
called, and a best set in bold, only where its interval excludes zero.
run.json keeps the first seed's per-user details and curves and every
seed's figures.

-o json prints one object with an array per section ("summary", "users",
...), never a summary row among per-user rows; -o csv prints the first
section (the summary: one row per result and window with classifier,
preset, protocol and window columns; threshold: the thresholds; holdout:
one row per held-out evaluation); every section is a CSV file of its own in
'mouseauth report's tables/ folder. Numbers keep full precision in CSV and
JSON; the table shows three decimals, a figure and its interval together.`

// paramsHelp lists every classifier's parameters for --help.
func paramsHelp() string {
	return "\nClassifier parameters (--param name=value; --trees sets trees):\n" + strings.TrimRight(classify.ParamHelp(), "\n")
}
