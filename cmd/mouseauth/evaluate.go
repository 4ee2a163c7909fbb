package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/cli"
)

// Evaluate modes: which of the evaluate commands runs.
const (
	modeRun       = "run"
	modeSweep     = "sweep"
	modeCompare   = "compare"
	modeThreshold = "threshold"
)

// Presets.
const (
	presetReference = "reference"
	presetImproved  = "improved"
)

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
	Load          func(path string) (*evaluate.Data, error)
	NewClassifier func(name string, params map[string]any) (classify.Classifier, error)
}

// NewCmdEvaluate is `mouseauth evaluate`: per-user evaluation of a
// classifier on a feature file, plus sweep, compare and threshold.
func NewCmdEvaluate(f *cli.Factory) *cobra.Command {
	return newCmdEvaluate(f, nil)
}

func newEvaluateOptions(f *cli.Factory, mode string) *EvaluateOptions {
	return &EvaluateOptions{IO: f.IO, Now: f.Now, Args: f.Args, Version: f.Version, Mode: mode,
		Load: loadFeatures, NewClassifier: newClassifier}
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
				if p != presetReference && p != presetImproved {
					return cli.FlagErrorf("--presets: unknown preset %q (want reference or improved)", p)
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
	if o.Mode != modeCompare && o.Preset != presetReference && o.Preset != presetImproved {
		return cli.FlagErrorf("--preset: unknown preset %q (want reference or improved)", o.Preset)
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

// presetOptions returns the evaluation options of a preset and classifier
// (flags override the preset's aggregate and negative ratio).
func (o *EvaluateOptions) presetOptions(preset, classifier string, trees int) (evaluate.Options, error) {
	params := map[string]any{}
	if classifier == "rf" || classifier == "malaschitz" {
		params["trees"] = trees
	}
	eo := evaluate.Options{Protocol: evaluate.Protocol(o.Protocol), Windows: o.Windows,
		TrainFraction: o.TrainFraction, Seed: o.Seed, Workers: o.Workers, Now: o.Now,
		Aggregate: evaluate.AggMean, NegativeRatio: 1}
	if preset == presetImproved {
		eo.Aggregate, eo.DropDuplicateColumns, eo.ReplacePlaceholders = evaluate.AggLogOdds, true, true
	}
	if o.Aggregate != "" {
		eo.Aggregate = evaluate.Aggregate(o.Aggregate)
	}
	if o.NegRatio > 0 {
		eo.NegativeRatio = o.NegRatio
	}
	c, err := o.NewClassifier(classifier, params)
	if err != nil {
		return eo, cli.FlagErrorf("--classifier: %v", err)
	}
	eo.Classifier = c
	eo.Params = map[string]any{"preset": preset, "negative_ratio": eo.NegativeRatio,
		"train_fraction": eo.TrainFraction, "drop_duplicate_columns": eo.DropDuplicateColumns,
		"replace_placeholders": eo.ReplacePlaceholders}
	for k, v := range params {
		eo.Params[k] = v
	}
	return eo, nil
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
	reportDefects(o.IO.ErrOut, o.Features, d)
	nUsers := countUsers(d)
	run := evaluate.Run{}
	progress := func(total int, what string) (*cli.Progress, func()) {
		p := cli.NewProgress(o.IO, int64(total), what, "users")
		return p, func() { p.Add(1) }
	}
	tbl := &cli.Table{}
	switch o.Mode {
	case modeRun, modeThreshold:
		eo, err := o.presetOptions(o.Preset, o.Classifier, o.Trees)
		if err != nil {
			return err
		}
		p, tick := progress(nUsers, fmt.Sprintf("%s %s", eo.Protocol, o.Classifier))
		eo.Progress = tick
		res, scores, err := evaluateWithScores(ctx, d, eo)
		p.Done()
		if err != nil {
			return err
		}
		run.Results = []evaluate.Result{res}
		if o.Mode == modeRun {
			tbl = userTable(res)
			break
		}
		for _, w := range o.Windows {
			pts, err := evaluate.Thresholds(scores, w, eo.Aggregate, o.Thresholds)
			if err != nil {
				return err
			}
			run.Thresholds = append(run.Thresholds, pts...)
		}
		tbl = thresholdTable(run.Thresholds)
	case modeSweep:
		eo, err := o.presetOptions(o.Preset, "rf", o.TreeRange[0])
		if err != nil {
			return err
		}
		p, tick := progress(nUsers*len(o.TreeRange), "sweep")
		eo.Progress = tick
		pts, err := evaluate.Sweep(ctx, d, eo, o.TreeRange, o.Windows, func(t int) (classify.Classifier, error) {
			return o.NewClassifier("rf", map[string]any{"trees": t})
		})
		p.Done()
		if err != nil {
			return err
		}
		run.Sweeps = pts
		tbl = sweepTable(pts)
	case modeCompare:
		p, tick := progress(nUsers*len(o.Classifiers)*len(o.Presets), "compare")
		for _, c := range o.Classifiers {
			for _, preset := range o.Presets {
				eo, err := o.presetOptions(preset, c, o.Trees)
				if err != nil {
					p.Done()
					return err
				}
				eo.Progress = tick
				res, err := evaluate.Evaluate(ctx, d, eo)
				if err != nil {
					p.Done()
					return fmt.Errorf("%s (%s): %w", c, preset, err)
				}
				run.Results = append(run.Results, res)
			}
		}
		p.Done()
		tbl = compareTable(run.Results)
	default:
		return fmt.Errorf("evaluate: unknown mode %q", o.Mode)
	}
	if err := cli.Render(o.IO.Out, o.Output, tbl); err != nil {
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
	return writeRun(o.Out, &run, o.IO.ErrOut)
}

// evaluateWithScores is evaluate.Evaluate that also returns the per-user
// scores (for thresholds), training once.
func evaluateWithScores(ctx context.Context, d *evaluate.Data, eo evaluate.Options) (evaluate.Result, []evaluate.UserScores, error) {
	t0 := eo.Now()
	scores, skipped, err := evaluate.ScoreUsers(ctx, d, eo)
	if err != nil {
		return evaluate.Result{}, nil, err
	}
	agg := eo.Aggregate
	if agg == "" {
		agg = evaluate.AggMean
	}
	res, err := evaluate.Summarize(scores, eo.Windows, agg)
	if err != nil {
		return evaluate.Result{}, nil, err
	}
	res.Protocol, res.Classifier, res.Params, res.Seed = string(eo.Protocol), eo.Classifier.Name(), eo.Params, eo.Seed
	res.Aggregate = string(agg)
	res.Skipped = append(skipped, res.Skipped...)
	res.Seconds = eo.Now().Sub(t0).Seconds()
	return res, scores, nil
}

func writeRun(dir string, run *evaluate.Run, status io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return fmt.Errorf("encode run: %w", err)
	}
	path := filepath.Join(dir, "run.json")
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(status, "wrote %s\n", path)
	return nil
}

// userTable lists each user's figures per window, each window followed by
// rows "mean" and "sd" over users.
func userTable(r evaluate.Result) *cli.Table {
	t := &cli.Table{Columns: []string{"window", "user", "auc", "eer", "accuracy", "genuine", "impostor"}}
	for _, s := range r.Summary {
		for _, u := range r.Users {
			if u.Window == s.Window {
				t.Add(u.Window, u.User, u.AUC, u.EER, u.Accuracy, u.Genuine, u.Impostor)
			}
		}
		t.Add(s.Window, "mean", s.MeanAUC, s.MeanEER, s.MeanAccuracy, nil, nil)
		t.Add(s.Window, "sd", s.SDAUC, s.SDEER, s.SDAccuracy, nil, nil)
	}
	return t
}

func compareTable(rs []evaluate.Result) *cli.Table {
	t := &cli.Table{Columns: []string{"classifier", "preset", "protocol", "window", "mean_auc", "sd_auc", "mean_eer", "mean_accuracy", "seconds"}}
	for _, r := range rs {
		for _, s := range r.Summary {
			t.Add(r.Classifier, fmt.Sprint(r.Params["preset"]), r.Protocol, s.Window, s.MeanAUC, s.SDAUC, s.MeanEER, s.MeanAccuracy, r.Seconds)
		}
	}
	return t
}

func sweepTable(pts []evaluate.SweepPoint) *cli.Table {
	t := &cli.Table{Columns: []string{"trees", "window", "mean_auc", "sd_auc", "mean_eer", "seconds"}}
	for _, p := range pts {
		t.Add(p.Trees, p.Window, p.MeanAUC, p.SDAUC, p.MeanEER, p.Seconds)
	}
	return t
}

func thresholdTable(pts []evaluate.ThresholdPoint) *cli.Table {
	t := &cli.Table{Columns: []string{"window", "threshold", "false_alarm_rate", "miss_rate", "impostor_actions_to_alarm",
		"genuine_actions_to_false_alarm", "impostor_detected", "genuine_alarmed"}}
	for _, p := range pts {
		t.Add(p.Window, p.Threshold, p.FalseAlarmRate, p.MissRate, p.ImpostorActionsToAlarm, p.GenuineActionsToFalseAlarm,
			p.ImpostorDetected, p.GenuineAlarmed)
	}
	return t
}

func countUsers(d *evaluate.Data) int {
	seen := map[string]bool{}
	for _, u := range d.Users {
		seen[u] = true
	}
	return len(seen)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseIntRange parses a comma-separated list of integers and ranges
// A:B (step 1) or A:B:S, e.g. "1,5,10:20:5" = 1 5 10 15 20. Values keep
// their order; duplicates are dropped.
func parseIntRange(s string) ([]int, error) {
	var out []int
	for _, part := range splitList(s) {
		f := strings.Split(part, ":")
		nums := make([]int, len(f))
		for i, x := range f {
			n, err := strconv.Atoi(strings.TrimSpace(x))
			if err != nil {
				return nil, fmt.Errorf("%q is not an integer", x)
			}
			nums[i] = n
		}
		switch len(nums) {
		case 1:
			out = appendNew(out, nums[0])
		case 2, 3:
			step := 1
			if len(nums) == 3 {
				step = nums[2]
			}
			if step <= 0 || nums[1] < nums[0] {
				return nil, fmt.Errorf("range %q: want A:B[:S] with A <= B and S > 0", part)
			}
			for v := nums[0]; v <= nums[1]; v += step {
				out = appendNew(out, v)
			}
		default:
			return nil, fmt.Errorf("range %q: want A:B[:S]", part)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no values in %q", s)
	}
	return out, nil
}

func appendNew(xs []int, v int) []int {
	if slices.Contains(xs, v) {
		return xs
	}
	return append(xs, v)
}

// parseFloatRange parses a comma-separated list of numbers and ranges
// A:B:S (e.g. 0:1:0.05 = 0, 0.05, ..., 1). Range values are computed as
// A+i*S rounded to 12 decimals, so the end point is not lost to rounding.
func parseFloatRange(s string) ([]float64, error) {
	var out []float64
	for _, part := range splitList(s) {
		f := strings.Split(part, ":")
		nums := make([]float64, len(f))
		for i, x := range f {
			v, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%q is not a number", x)
			}
			nums[i] = v
		}
		switch len(nums) {
		case 1:
			out = append(out, nums[0])
		case 3:
			a, b, st := nums[0], nums[1], nums[2]
			if st <= 0 || b < a {
				return nil, fmt.Errorf("range %q: want A:B:S with A <= B and S > 0", part)
			}
			n := int(math.Floor((b-a)/st+1e-9)) + 1
			if n > 100000 {
				return nil, fmt.Errorf("range %q has %d values, at most 100000", part, n)
			}
			for i := range n {
				out = append(out, math.Round((a+float64(i)*st)*1e12)/1e12)
			}
		default:
			return nil, fmt.Errorf("range %q: want a number or A:B:S", part)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no values in %q", s)
	}
	return out, nil
}

// reportDefects says which known defects of the published feature files d
// has, and what the presets do about them.
func reportDefects(w io.Writer, path string, d *evaluate.Data) {
	df := evaluate.FindDefects(d)
	if df.Placeholders > 0 {
		fmt.Fprintf(w, "note: %s: %d values are the placeholder 2147483647 (a minimum over all-zero values); the improved preset reads them as 0, the reference preset keeps them as published\n", path, df.Placeholders)
	}
	if n := len(df.DuplicateColumns); n > 0 {
		names := make([]string, n)
		for i, j := range df.DuplicateColumns {
			names[i] = strconv.Itoa(j + 1)
			if j < len(d.Names) {
				names[i] = d.Names[j]
			}
		}
		fmt.Fprintf(w, "note: %s: column(s) %s repeat an earlier column; the improved preset drops them\n", path, strings.Join(names, ", "))
	}
	if df.DuplicateRows > 0 {
		fmt.Fprintf(w, "note: %s: %d rows repeat an earlier row of the same user; kept, as the published protocol kept them\n", path, df.DuplicateRows)
	}
}
