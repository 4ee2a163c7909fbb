package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/preprocess"
	"github.com/mouseauth/mouseauth/reports"
)

// NewCmdPreprocess is the preprocess command group.
func NewCmdPreprocess(f *cli.Factory) *cobra.Command {
	return group("preprocess", "Segment logs into actions and extract features",
		`  mouseauth preprocess features --data ../shared/data/balabit/training_files --out features.csv
  mouseauth preprocess compare --data ../shared/data/balabit/training_files \
      --published ../shared/data/features/balabit_39feat_PC_MM_DD_1000.csv`,
		newCmdPreprocessFeatures(f, nil), newCmdPreprocessCompare(f, nil))
}

// FeaturesOptions are the options of 'preprocess features'.
type FeaturesOptions struct {
	IO *cli.IOStreams
	// Create opens the output file (os.Create outside tests).
	Create     func(name string) (io.WriteCloser, error)
	Data, Out  string
	Compat     preprocess.Compat
	MaxActions int // per user; 0 = all
	Strict     bool
	Output     string
	Workers    int // 0 = GOMAXPROCS
}

func createFile(name string) (io.WriteCloser, error) { return os.Create(name) }

func newCmdPreprocessFeatures(f *cli.Factory, runF func(context.Context, *FeaturesOptions) error) *cobra.Command {
	opts := &FeaturesOptions{IO: f.IO, Create: createFile}
	var compat string
	cmd := &cobra.Command{
		Use:   "features",
		Short: "Extract the 39 features of every action of every session into a CSV",
		Long: `Reads every session under --data (a folder of user folders, one user folder
or one file; DFL or Balabit format), segments it into mouse moves (MM),
point-clicks (PC) and drag-and-drops (DD), extracts the 39 features of each
action and writes them to --out in mouseauth's feature CSV format:
user,session,action,start,convention, then the 39 feature names; the
convention column (clean or reference, the --compat used) lets 'classify
train' record it in the models.

Sessions are processed in parallel and written in sorted user, session order.
Malformed rows are skipped and counted (--strict makes the first one an
error); files that cannot be read are reported and the rest processed. Rows
whose time is absurd (negative, above 1e10 s, or a day after the last kept
row) or runs backwards are dropped before segmentation by the same rules as
'dataset clean' (absurd_time, backwards), counted per user in the summary
and per session on stderr. A summary goes to stdout (--output table|csv|json):
the users, one row each (-o csv prints these), and the total, a section of
its own (-o json: {"users": [...], "total": [...]}).

--compat reference follows the published extractor's conventions, which
reproduce the published Balabit feature files; the default is the clean
definitions (see preprocess.Extractor).`,
		Example: `  mouseauth preprocess features --data ../shared/data/balabit/training_files --out features.csv
  mouseauth preprocess features --data ../shared/data/balabit/training_files --out ref.csv \
      --compat reference --max-actions 1000
  mouseauth preprocess features --data session.csv --out - --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Data == "" {
				return cli.FlagErrorf("--data is required")
			}
			if opts.Out == "" {
				return cli.FlagErrorf("--out is required (use - for stdout)")
			}
			c, ok := preprocess.ParseCompat(compat)
			if !ok {
				return cli.FlagErrorf("--compat must be clean or reference, not %q", compat)
			}
			opts.Compat = c
			if opts.MaxActions < 0 {
				return cli.FlagErrorf("--max-actions must be >= 0, not %d", opts.MaxActions)
			}
			if opts.Workers < 0 {
				return cli.FlagErrorf("--workers must be >= 0, not %d", opts.Workers)
			}
			if err := cli.ValidateOutput(opts.Output); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return featuresRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Data, "data", "", "session file, user folder or folder of user folders (required)")
	fl.StringVar(&opts.Out, "out", "", "feature CSV to write, - for stdout (required)")
	fl.StringVar(&compat, "compat", "clean", "feature conventions: clean or reference (the published extractor's)")
	fl.IntVar(&opts.MaxActions, "max-actions", 0, "keep the first N actions of each user (0 = all)")
	fl.BoolVar(&opts.Strict, "strict", false, "make the first malformed row an error")
	fl.IntVar(&opts.Workers, "workers", 0, "sessions processed in parallel (0 = GOMAXPROCS)")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// extractOptions are opts as package options; progress shows on ios.
func (opts *FeaturesOptions) extractOptions(fw *preprocess.FeatureWriter) (preprocess.ExtractOptions, func()) {
	progress, stop := cli.ProgressFunc(opts.IO, "sessions", "sessions")
	return preprocess.ExtractOptions{Compat: opts.Compat, MaxActions: opts.MaxActions, Strict: opts.Strict,
		Workers: opts.Workers, Writer: fw, Log: opts.IO.ErrOut, Progress: progress}, stop
}

func featuresRun(ctx context.Context, opts *FeaturesOptions) error {
	var out io.Writer = opts.IO.Out
	var closer io.Closer
	summaryOut := opts.IO.Out
	if opts.Out != "-" {
		f, err := opts.Create(opts.Out)
		if err != nil {
			return err
		}
		out, closer = f, f
	} else {
		summaryOut = opts.IO.ErrOut
	}
	fw, err := preprocess.NewFeatureWriter(out)
	if err != nil {
		return err
	}
	eo, stop := opts.extractOptions(fw)
	res, err := preprocess.ExtractAll(ctx, opts.Data, eo)
	stop()
	if ferr := fw.Flush(); err == nil {
		err = ferr
	}
	if closer != nil {
		if cerr := closer.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return err
	}
	cols := []string{"sessions", "failed", "events", "malformed", "duplicates", "absurd_time", "backwards", "MM", "PC", "DD", "actions", "not_kept"}
	t := &cli.Table{Columns: append([]string{"user"}, cols...)}
	for _, u := range res.Users {
		t.Add(u.User, u.Sessions, u.Failed, u.Events, u.Malformed, u.Duplicates, u.AbsurdTime, u.Backwards, u.MM, u.PC, u.DD, u.Actions, u.NotKept)
	}
	// The totals are a section of their own, never a row among users.
	tot := res.Total()
	total := &cli.Table{Columns: append([]string{"users"}, cols...)}
	total.Add(len(res.Users), tot.Sessions, tot.Failed, tot.Events, tot.Malformed, tot.Duplicates, tot.AbsurdTime, tot.Backwards, tot.MM, tot.PC, tot.DD, tot.Actions, tot.NotKept)
	secs := reports.Sections{{Name: "users", Title: "Per user: sessions, events and actions", Table: t}, {Name: "total", Title: "Total", Table: total}}
	if err := cli.RenderSections(summaryOut, opts.Output, secs); err != nil {
		return err
	}
	if opts.Out != "-" {
		fmt.Fprintf(opts.IO.ErrOut, "wrote %d actions to %s\n", tot.Actions, opts.Out)
	}
	return nil
}
