package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/preprocess"
	"github.com/mouseauth/mouseauth/reports"
)

// CompareOptions are the options of 'preprocess compare'.
type CompareOptions struct {
	IO *cli.IOStreams
	// OpenFile opens the published file (os.Open outside tests).
	OpenFile   func(name string) (io.ReadCloser, error)
	Data       string
	Published  string
	Compat     preprocess.Compat
	MaxActions int
	Workers    int
	Output     string
}

func newCmdPreprocessCompare(f *cli.Factory, runF func(context.Context, *CompareOptions) error) *cobra.Command {
	opts := &CompareOptions{IO: f.IO, OpenFile: func(n string) (io.ReadCloser, error) { return os.Open(n) }}
	compat := "reference"
	cmd := &cobra.Command{
		Use:   "compare",
		Short: "Compare extracted features with a published feature file",
		Long: `Extracts the features of the sessions under --data (sorted users and sessions,
the first --max-actions actions of each user) and compares them with a
published feature file (39 features then userid): per user, the rows equal in
all 39 values (relative 1e-4, or at the printed precision of values printed
with few digits, or |a-b| <= 1e-9) position by position and in order (an
alignment that tolerates one action too many or too few), and the columns
that differ where the same action (type and elapsed time) was found.

It prints three sections: the users (one row each), the total (a section of
its own, never a row among the users), then the columns that differ; -o
json prints one object with all three ("users", "total", "columns"), -o csv
the users.`,
		Example: `  mouseauth preprocess compare --data ../shared/data/balabit/training_files \
      --published ../shared/data/features/balabit_39feat_PC_MM_DD_1000.csv
  mouseauth preprocess compare --data ../shared/data/balabit/training_files --max-actions 100 \
      --published ../shared/data/features/balabit_39feat_PC_MM_DD_100.csv -o json | jq '.total[0]'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Data == "" || opts.Published == "" {
				return cli.FlagErrorf("--data and --published are required")
			}
			c, ok := preprocess.ParseCompat(compat)
			if !ok {
				return cli.FlagErrorf("--compat must be clean or reference, not %q", compat)
			}
			opts.Compat = c
			if opts.MaxActions <= 0 {
				return cli.FlagErrorf("--max-actions must be > 0, not %d", opts.MaxActions)
			}
			if err := cli.ValidateOutput(opts.Output); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return compareRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Data, "data", "", "folder of user folders (required)")
	fl.StringVar(&opts.Published, "published", "", "published feature file (required)")
	fl.StringVar(&compat, "compat", compat, "feature conventions: clean or reference")
	fl.IntVar(&opts.MaxActions, "max-actions", 1000, "actions per user in the published file")
	fl.IntVar(&opts.Workers, "workers", 0, "sessions processed in parallel (0 = GOMAXPROCS)")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

func compareRun(ctx context.Context, opts *CompareOptions) error {
	pf, err := opts.OpenFile(opts.Published)
	if err != nil {
		return err
	}
	defer pf.Close()
	pub, err := preprocess.ReadPublishedRows(pf, opts.Published)
	if err != nil {
		return err
	}
	var ours []preprocess.FeatureVector
	// A few more actions than published so the in-order alignment can
	// reach the end of each user's rows.
	progress, stop := cli.ProgressFunc(opts.IO, "sessions", "sessions")
	_, err = preprocess.ExtractAll(ctx, opts.Data, preprocess.ExtractOptions{Compat: opts.Compat,
		MaxActions: opts.MaxActions + preprocess.AlignWindow, Workers: opts.Workers, Progress: progress,
		Collect: func(v *preprocess.FeatureVector) { ours = append(ours, *v) }})
	stop()
	if err != nil {
		return err
	}
	if len(pub) == 0 {
		return errors.New("no rows in " + opts.Published)
	}
	return cli.RenderSections(opts.IO.Out, opts.Output, comparisonSections(preprocess.CompareToPublished(ours, pub)))
}

// comparisonSections are c as tables: per user, then in total, the rows
// published, computed and matched by position and in order, in percent of
// the published; then the feature columns that differ most, over the rows
// whose action was found with other values.
func comparisonSections(c *preprocess.Comparison) reports.Sections {
	pct := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return 100 * float64(a) / float64(b)
	}
	users := &cli.Table{Columns: []string{"user", "published", "computed", "positional", "positional_pct", "aligned", "aligned_pct"}}
	computed := 0
	for _, u := range c.Users {
		users.Add(u.User, u.Published, u.Ours, u.Matched, pct(u.Matched, u.Published), u.Aligned, pct(u.Aligned, u.Published))
		computed += u.Ours
	}
	total := &cli.Table{Columns: []string{"users", "published", "computed", "positional", "positional_pct", "aligned", "aligned_pct"}}
	total.Add(len(c.Users), c.Total, computed, c.Matched, c.Percent(), c.Aligned, c.AlignedPercent())
	cols := &cli.Table{Columns: []string{"column", "rows_differing"}}
	order := make([]int, 0, len(c.ColumnMismatch))
	for i, n := range c.ColumnMismatch {
		if n > 0 {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return c.ColumnMismatch[order[i]] > c.ColumnMismatch[order[j]] })
	for _, i := range order {
		cols.Add(preprocess.FeatureNames[i], c.ColumnMismatch[i])
	}
	return reports.Sections{
		{Name: "users", Title: "Rows equal to the published ones, by position and in order", Table: users},
		{Name: "total", Title: "Total", Table: total},
		{Name: "columns", Title: fmt.Sprintf("Columns that differ, over the %d published rows whose action was found (same type and elapsed time) with other values",
			c.SameActionDiffers), Table: cols},
	}
}
