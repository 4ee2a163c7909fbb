package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/bench"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/preprocess"
)

// BenchFeaturesOptions are the options of 'bench features'.
type BenchFeaturesOptions struct {
	IO      *cli.IOStreams
	Data    string
	Compat  preprocess.Compat
	Workers int
	Rounds  int
	Output  string
	// Now is the clock (time.Now outside tests).
	Now func() time.Time
}

func newCmdBenchFeatures(f *cli.Factory, runF func(context.Context, *BenchFeaturesOptions) error) *cobra.Command {
	opts := &BenchFeaturesOptions{IO: f.IO, Now: time.Now}
	compat := "clean"
	cmd := &cobra.Command{
		Use:   "features",
		Short: "Measure raw logs -> feature CSV throughput beside a plain encoding/csv read",
		Long: `Runs the whole feature pipeline (read and parse every session, segment,
extract the 39 features, format the feature CSV, written to a discarding
writer) over --data and prints files, events, actions, seconds, events/s,
cores used and events/s per core. In the same run it reads the same files
with a plain encoding/csv reader (records only, no parsing) on the same
number of workers and prints its rows/s and the ratio, so the figure can be
judged on this machine. Files are read once before timing so both runs find
them in the page cache; each figure is the best of --rounds.`,
		Example: `  mouseauth bench features --data ../shared/data/balabit/training_files
  mouseauth bench features --data ../shared/data/balabit/training_files --workers 1 --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, ok := preprocess.ParseCompat(compat)
			if !ok {
				return cli.FlagErrorf("--compat must be clean or reference, not %q", compat)
			}
			opts.Compat = c
			if opts.Workers < 0 || opts.Rounds < 1 {
				return cli.FlagErrorf("--workers must be >= 0 and --rounds >= 1")
			}
			if err := cli.ValidateOutput(opts.Output); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return benchFeaturesRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Data, "data", "", "session file, user folder or folder of user folders (required)")
	fl.StringVar(&compat, "compat", compat, "feature conventions: clean or reference")
	fl.IntVar(&opts.Workers, "workers", 0, "parallel sessions (0 = GOMAXPROCS)")
	fl.IntVar(&opts.Rounds, "rounds", 3, "timed rounds; the best is reported")
	cli.AddOutputFlag(cmd, &opts.Output)
	markRequired(cmd, "data")
	return cmd
}

func benchFeaturesRun(ctx context.Context, opts *BenchFeaturesOptions) error {
	r, err := bench.RunFeatures(ctx, bench.FeaturesOptions{Data: opts.Data, Compat: opts.Compat, Workers: opts.Workers,
		Rounds: opts.Rounds, Now: opts.Now})
	if err != nil {
		return err
	}
	t := &cli.Table{Columns: []string{"files", "events", "actions", "seconds", "events_per_s", "cores",
		"events_per_s_per_core", "csv_rows", "csv_seconds", "csv_rows_per_s", "csv_rows_per_s_per_core", "ratio"}}
	cores := float64(r.Workers)
	t.Add(r.Files, r.Events, r.Actions, r.Seconds, r.EventsPerSecond(), r.Workers, r.EventsPerSecond()/cores,
		r.CSVRows, r.CSVSeconds, r.CSVRowsPerSecond(), r.CSVRowsPerSecond()/cores, r.Ratio())
	return cli.Render(opts.IO.Out, opts.Output, t)
}
