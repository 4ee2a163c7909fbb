package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/bench"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/preprocess"
)

// BenchClassifyOptions are the options of `mouseauth bench classify`.
type BenchClassifyOptions struct {
	IO       *cli.IOStreams
	Now      func() time.Time
	Load     func(path string) (*preprocess.Table, error)
	Features string
	Trees    int
	Output   string
}

func newCmdBenchClassify(f *cli.Factory, runF func(context.Context, *BenchClassifyOptions) error) *cobra.Command {
	opts := &BenchClassifyOptions{IO: f.IO, Now: f.Now, Load: loadFeatures}
	cmd := &cobra.Command{
		Use:   "classify --features F.csv",
		Short: "Forest training time per user and scoring time per action, beside scikit-learn's",
		Long: `For every user, trains on the first 70% of the user's actions against as
many other users' actions (about 700 rows on DFL-500), times the fit, then
times scoring the held-out actions one at a time. It does so for mouseauth's
forest on one core and on all cores, and for the malaschitz library's forest,
and prints the means beside scikit-learn's figures on the same data
(0.174 s per fit, 17 us per action, single-threaded).`,
		Example: `  mouseauth bench classify --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Trees < 1 {
				return cli.FlagErrorf("--trees must be >= 1")
			}
			if err := cli.ValidateOutput(opts.Output); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return benchClassifyRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Features, "features", "", "feature CSV (required)")
	markRequired(cmd, "features")
	cmd.Flags().IntVar(&opts.Trees, "trees", 100, "trees per forest")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

func benchClassifyRun(ctx context.Context, opts *BenchClassifyOptions) error {
	d, err := opts.Load(opts.Features)
	if err != nil {
		return err
	}
	rows, err := bench.RunClassify(ctx, d, bench.ClassifyOptions{Trees: opts.Trees, Now: opts.Now,
		Meter: func(total int64, desc, unit string) bench.Meter { return cli.NewProgress(opts.IO, total, desc, unit) }})
	if err != nil {
		return err
	}
	t := &cli.Table{Columns: []string{"classifier", "cores", "users", "train_rows", "fit_seconds", "sklearn_fit_ratio",
		"score_us", "sklearn_score_ratio"}}
	for _, r := range rows {
		t.Add(r.Classifier, r.Cores, r.Users, r.TrainRows, r.FitSeconds, r.FitRatio(), r.ScoreMicro, r.ScoreRatio())
	}
	if err := cli.Render(opts.IO.Out, opts.Output, t); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "ratios above 1 are faster than scikit-learn (%g s per fit, %g us per action, single-threaded)\n",
		bench.SklearnFitSeconds, bench.SklearnScoreMicros)
	return nil
}
