package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/internal/cli"
)

func newCmdEvaluateSweep(f *cli.Factory, runF func(context.Context, *EvaluateOptions) error) *cobra.Command {
	cmd, fl, _ := evaluateCommand(f, runF, modeSweep, &cobra.Command{
		Use:   "sweep --features FILE",
		Short: "Mean per-user AUC and EER, with intervals, over a grid of tree counts and window sizes",
		Long: `Sweep trains --classifier (empty: the preset's, gbdt for improved) once per
tree count of --tree-counts (a forest's trees, gbdt's boosting rounds) and
reports at every window size the mean per-user AUC and EER with their 95%
intervals over users, the pooled AUC, EER and FNMR at FMR 1% (without
intervals) and the seconds taken. Without --tree-counts it trains once and
sweeps the window sizes only; for a classifier without trees (logreg, mlp,
kmeans) --tree-counts is refused, not ignored.

The cell with the highest mean per-user AUC is marked best, and every cell
whose paired 95% interval of the difference to it (over users, seeds folded
in) includes zero is marked as indistinguishable from it (ties_best).
` + seedsHelp,
		Example: `  mouseauth evaluate sweep --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv --classifier rf --tree-counts 10:100:10 --windows 1:20
  mouseauth evaluate sweep --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv --classifier logreg --windows 1:20
  mouseauth evaluate sweep --features ../shared/data/features/dfl_39feat_PC_MM_DD_50.csv --tree-counts 50,200 --windows 1,10 --seeds 0:4`,
	}, "1:20", "trees")
	cmd.Flags().StringVar(&fl.trees, "tree-counts", "", "tree counts to sweep (a forest's trees, gbdt's rounds), list and ranges, e.g. 10:100:10; empty: the window sizes only")
	cli.Alias(cmd.Flags(), "trees", "tree-counts")
	return cmd
}

func newCmdEvaluateCompare(f *cli.Factory, runF func(context.Context, *EvaluateOptions) error) *cobra.Command {
	cmd, fl, _ := evaluateCommand(f, runF, modeCompare, &cobra.Command{
		Use:   "compare --features FILE",
		Short: "Evaluate several classifiers (and presets) on the same users and seeds, with paired differences",
		Long: `Compare runs one evaluation per classifier and preset (every classifier of
--classifiers under every preset of --presets; without --classifiers each
preset with its own classifier) and prints their figures beside each other;
--out writes every result (with its curves and scores). --param sets a
classifier parameter on every compared classifier that has it.

Each result is compared with the first classifier under the same preset and
with the first preset of the same classifier, over the same users and
seeds: B − A of the mean per-user AUC with its 95% interval, the Wilcoxon
signed-rank p-value and DeLong's test of the pooled ROCs. At each window the
result with the highest mean per-user AUC is called best only where its
interval against every other excludes zero (rankings).
` + seedsHelp,
		Example: `  mouseauth evaluate compare --features F.csv --presets both
  mouseauth evaluate compare --features F.csv --classifiers rf,gbdt --presets improved --windows 1,5,10,20
  mouseauth evaluate compare --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv --presets published,improved --windows 1,10 --seeds 0:9 --out runs/dfl-seeds`,
	}, "1,5,10,20", "classifier", "preset")
	cmd.Flags().StringVar(&fl.classifiers, "classifiers", "", "classifiers to compare, comma-separated: "+strings.Join(classify.Names(), ", ")+" (empty = each preset's own)")
	cmd.Flags().StringVar(&fl.presets, "presets", presetDefault, "presets to compare, comma-separated: improved, published, or both")
	return cmd
}

func newCmdEvaluateThreshold(f *cli.Factory, runF func(context.Context, *EvaluateOptions) error) *cobra.Command {
	cmd, fl, _ := evaluateCommand(f, runF, modeThreshold, &cobra.Command{
		Use:   "threshold --features FILE",
		Short: "FMR, FNMR and the actions until a rejection at thresholds chosen by target FMR, score quantile or EER",
		Long: `Threshold accepts a window when its score is at or above a threshold and
reports, for each threshold, the pooled FMR (impostor windows accepted) and
FNMR (genuine windows rejected) over every user and seed, and the mean
number of impostor actions up to the first rejected window and of genuine
actions up to the first false rejection. Each stream is walked one action
at a time; the delay is the count of actions up to and including the one
that completes the first rejected window; a stream never rejected counts
its whole length (and the rejected shares say how many were).

The thresholds are chosen on the scores they are applied to (a-posteriori
operating points; the summary's HTER applies one chosen on development
data): --fmr-targets gives the lowest threshold whose FMR is at most each
target, --quantiles the quantiles of every window score, the pooled EER's
threshold is always there, and --thresholds adds values of your own. With
several --windows, each size gets its own rows and curves.
` + seedsHelp,
		Example: `  mouseauth evaluate threshold --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv --windows 10
  mouseauth evaluate threshold --features ../shared/data/features/dfl_39feat_PC_MM_DD_50.csv --windows 1,10 --fmr-targets 0.001,0.01 --quantiles 0.1:0.9:0.1 --seeds 0:2`,
	}, "10")
	cmd.Flags().StringVar(&fl.fmrTargets, "fmr-targets", "0.001,0.01,0.05,0.1", "target FMRs: the lowest threshold whose FMR is at most each")
	cmd.Flags().StringVar(&fl.quantiles, "quantiles", "0.05:0.95:0.05", "quantiles of the window scores to use as thresholds, list and ranges")
	cmd.Flags().StringVar(&fl.thresholds, "thresholds", "", "thresholds given as values, list and ranges (e.g. 0.2,0.5)")
	return cmd
}
