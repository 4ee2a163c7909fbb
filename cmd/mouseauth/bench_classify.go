package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/preprocess"
)

// Reference figures: scikit-learn, single-threaded, DFL-500, 70/30 split
// (../shared/data/README.md).
const (
	sklearnFitSeconds  = 0.174
	sklearnScoreMicros = 17.0
)

// BenchClassifyOptions are the options of `mouseauth bench classify`.
type BenchClassifyOptions struct {
	IO       *cli.IOStreams
	Load     func(path string) (*preprocess.Table, error)
	Features string
	Trees    int
	Output   string
}

func newCmdBenchClassify(f *cli.Factory, runF func(context.Context, *BenchClassifyOptions) error) *cobra.Command {
	opts := &BenchClassifyOptions{IO: f.IO, Load: loadFeatures}
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
	users, rows := d.ByUser()
	cases := []struct {
		label   string
		c       classify.Classifier
		workers int
	}{
		{"rf", classify.Forest{Trees: opts.Trees, Workers: 1}, 1},
		{"rf", classify.Forest{Trees: opts.Trees}, runtime.GOMAXPROCS(0)},
		{"malaschitz", classify.Malaschitz{Trees: opts.Trees}, runtime.GOMAXPROCS(0)},
	}
	t := &cli.Table{Columns: []string{"classifier", "cores", "users", "train_rows", "fit_seconds", "sklearn_fit_ratio",
		"score_us", "sklearn_score_ratio"}}
	bar := cli.NewProgress(opts.IO, int64(len(users)*len(cases)), "bench classify", "fits")
	defer bar.Done()
	for _, cs := range cases {
		var fitSecs, scoreSecs float64
		var scored, trainRows int
		for ui, u := range users {
			if err := ctx.Err(); err != nil {
				return err
			}
			// The first 70% of the user's actions train, against as many
			// of the other users' actions; the rest are scored.
			own, others := classify.Split(d.Users, d.X, u)
			ntr := len(rows[u]) * 7 / 10
			tr, err := classify.TrainUser(ctx, cs.c, own[:ntr], others, rand.New(rand.NewPCG(uint64(ui), 42)),
				classify.TrainOptions{Now: time.Now})
			if err != nil {
				return fmt.Errorf("%s on %s: %w", cs.label, u, err)
			}
			trainRows += tr.Genuine + tr.Impostor
			fitSecs += tr.Seconds
			t0 := time.Now()
			s := 0.0
			for _, x := range own[ntr:] {
				s += tr.Model.Score(x)
			}
			scoreSecs += time.Since(t0).Seconds()
			scored += len(own) - ntr
			bar.Add(1)
		}
		n := float64(len(users))
		fit := fitSecs / n
		us := scoreSecs / float64(scored) * 1e6
		t.Add(cs.label, cs.workers, len(users), trainRows/len(users), fit, sklearnFitSeconds/fit, us, sklearnScoreMicros/us)
	}
	bar.Done()
	if err := cli.Render(opts.IO.Out, opts.Output, t); err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.ErrOut, "ratios above 1 are faster than scikit-learn (0.174 s per fit, 17 us per action, single-threaded)")
	return nil
}
