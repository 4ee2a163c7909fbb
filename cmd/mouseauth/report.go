package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/reports"
)

// ReportOptions are the inputs of `mouseauth report`.
type ReportOptions struct {
	IO     *cli.IOStreams
	RunDir string // directory holding run.json
	Out    string // report directory; RunDir when empty
	Output string // table (the paths, then "report: PATH"), csv or json
}

func newCmdReport(f *cli.Factory, runF func(context.Context, *ReportOptions) error) *cobra.Command {
	opts := &ReportOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "report --run DIR [--out DIR]",
		Short: "Gather a run into plots, tables and one HTML page",
		Long: `Report reads DIR/run.json, written by 'mouseauth evaluate --out DIR' (any of
evaluate, sweep, compare, threshold, holdout), and writes into DIR, or --out:

  plots/*.png, *.svg          for what the run holds:
                                mean ROC per window with a ±1 sd band over users
                                (AUC ± sd in the legend; log false-positive axis),
                                DET curves on normal-deviate axes with the EER marked,
                                per-user ROC curves naming the worst users,
                                compare: ROC and DET of every classifier and preset,
                                sweep: heat maps of mean AUC and EER over trees ×
                                windows (or AUC ± sd and EER along one axis) and
                                the time taken,
                                threshold: false alarm and miss rates, detection
                                delay against the alarm threshold,
                                holdout: session and action ROC and DET curves
  tables/*.md, *.csv, *.json  summary (mean ± sd per window), per-user results,
                              seeds and their paired differences, sweeps,
                              thresholds, held-out sessions, input files
  report.html                 one self-contained page (inline SVG): a summary
                              first (AUC ± sd and EER per result and window,
                              published figures beside where known), then the
                              comparisons, then the details per result, the
                              per-user tables folded; with the command line,
                              seed, version and input file hashes

It prints the files it wrote, then the path of report.html; with --output csv
or json, a table of every file and its kind (plot, table, page).`,
		Example: `  mouseauth evaluate --features features.csv --windows 1,5,10 --out runs/rf
  mouseauth report --run runs/rf
  mouseauth report --run runs/rf --out /tmp/rf-report
  mouseauth report --run runs/rf -o json | jq -r '.[] | select(.kind == "page") | .path'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.RunDir == "" {
				return cli.FlagErrorf("--run is required: the directory with run.json")
			}
			if opts.Out == "" {
				opts.Out = opts.RunDir
			}
			if err := cli.ValidateOutput(opts.Output); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return reportRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.RunDir, "run", "", "directory with run.json (required)")
	cmd.Flags().StringVar(&opts.Out, "out", "", "directory to write the report into (default: the --run directory)")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

func reportRun(ctx context.Context, opts *ReportOptions) error {
	path := filepath.Join(opts.RunDir, reports.RunFile)
	run, err := reports.ReadRun(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w (is %s the --out directory of 'mouseauth evaluate'?)", err, opts.RunDir)
	}
	if err != nil {
		return err
	}
	if reports.IsEmpty(run) {
		fmt.Fprintf(opts.IO.ErrOut, "warning: %s has no results, sweeps or thresholds; the report holds only the manifest\n", path)
	}
	progress, stop := cli.ProgressFunc(opts.IO, "report", "plots, tables and the page")
	files, err := reports.Write(ctx, opts.Out, run, reports.Options{Progress: progress})
	stop()
	if err != nil {
		return err
	}
	page := filepath.Join(opts.Out, reports.ReportHTML)
	if opts.Output == cli.FormatCSV || opts.Output == cli.FormatJSON {
		t := &cli.Table{Columns: []string{"kind", "path"}}
		for _, f := range files {
			t.Add(fileKind(opts.Out, f, page), f)
		}
		return cli.Render(opts.IO.Out, opts.Output, t)
	}
	for _, f := range files {
		fmt.Fprintln(opts.IO.Out, f)
	}
	fmt.Fprintf(opts.IO.Out, "report: %s\n", page)
	return nil
}

// fileKind names what a file of the report is: "page" (report.html),
// "plot" (under plots/), "table" (under tables/) or "file".
func fileKind(dir, path, page string) string {
	if path == page {
		return "page"
	}
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return "file"
	}
	switch first, _, _ := strings.Cut(filepath.ToSlash(rel), "/"); first {
	case reports.PlotsDir:
		return "plot"
	case reports.TablesDir:
		return "table"
	}
	return "file"
}
