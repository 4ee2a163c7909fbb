package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot/vg"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/reports"
)

// ReportOptions are the inputs of `mouseauth report`.
type ReportOptions struct {
	IO     *cli.IOStreams
	RunDir string // directory holding run.json
	Out    string // report directory; RunDir when empty
	Output string // table (the paths, then "report: PATH"), csv or json
	// Style is how figures are drawn (--style, --size, --font-size,
	// --formats, --roc-scale).
	Style reports.Style
}

// reportFlags are the style flags, applied over the --style preset.
type reportFlags struct {
	style, size, formats, rocScale string
	fontSize                       float64
}

// style returns the style the flags describe; flags given override the
// --style preset's values.
func (fl *reportFlags) styleOf(cmd *cobra.Command) (reports.Style, error) {
	st, err := reports.ParseStyle(fl.style)
	if err != nil {
		return st, cli.FlagErrorf("--style: %v", err)
	}
	if cmd.Flags().Changed("size") {
		if st.Width, st.Height, err = reports.ParseSize(fl.size); err != nil {
			return st, cli.FlagErrorf("--size: %v", err)
		}
	}
	if cmd.Flags().Changed("font-size") {
		st.FontSize = vg.Length(fl.fontSize)
	}
	if cmd.Flags().Changed("formats") {
		if st.Formats, err = reports.ParseFormats(fl.formats); err != nil {
			return st, cli.FlagErrorf("--formats: %v", err)
		}
	}
	switch fl.rocScale {
	case "linear":
	case "log":
		st.LogROC = true
	default:
		return st, cli.FlagErrorf("--roc-scale must be linear or log, not %q", fl.rocScale)
	}
	if err := st.Check(); err != nil {
		return st, cli.FlagErrorf("%v", err)
	}
	return st, nil
}

// NewCmdReport builds `mouseauth report`.
func NewCmdReport(f *cli.Factory) *cobra.Command {
	return newCmdReport(f, nil)
}

func newCmdReport(f *cli.Factory, runF func(context.Context, *ReportOptions) error) *cobra.Command {
	opts := &ReportOptions{IO: f.IO}
	fl := &reportFlags{}
	cmd := &cobra.Command{
		Use:   "report --run DIR [--out DIR]",
		Short: "Gather a run into plots, tables and one HTML page",
		Long: `Report reads DIR/run.json, written by 'mouseauth evaluate --out DIR' (any of
evaluate, sweep, compare, threshold, holdout), and writes into DIR, or --out:

  plots/*.png, *.svg, *.pdf   for what the run holds (--formats):
                                mean per-user ROC per window with its 95%
                                interval band over users (the legend gives the
                                mean per-user AUC and its interval),
                                pooled DET per window on normal-deviate axes
                                with the pooled EER marked,
                                per-user ROC curves naming the worst users,
                                compare: ROC and DET of every result,
                                sweep: heat maps of mean per-user AUC and EER
                                over trees × windows with a colour bar, the
                                best cell and those indistinguishable from it
                                framed (or AUC and EER with their intervals
                                along one axis), and the time taken,
                                threshold: FMR and FNMR, and the actions until
                                a rejection, against the threshold,
                                holdout: session and action ROC and DET curves
  tables/*.md, *.csv, *.json  one per section, tidy (a row per result and
                              window, classifier, preset and protocol
                              columns, X with X_lo and X_hi): summary,
                              per_seed, differences, rankings, users,
                              skipped, sweeps, thresholds, holdout, inputs
  report.html                 one self-contained page (inline SVG): a summary
                              first (every figure with its interval, the
                              published figures beside where known), the
                              differences, the comparisons, then the details
                              per result, the per-user tables folded; with
                              the command line, settings, seeds, version and
                              input file hashes; each figure's title and
                              caption beside it

Figures: --style screen (6 × 4 in, 10 pt, png and svg) or paper (one column:
3.5 × 2.8 in, 8 pt labels and 7.2 pt ticks, pdf, svg and a 300 dpi png);
--size, --font-size and --formats override the style's. ROC axes are linear
from 0 to 1 (--roc-scale log: FMR from 0.001), DET axes from 0.001 to 0.9;
no axis is cropped to the data; rates are fractions everywhere; colours are
Okabe and Ito's, colour-blind safe, with a line style per curve; legends
sit below the axes; titles are in the page's captions, not in the images.

It prints the files it wrote, then the path of report.html; with --output csv
or json, a table of every file and its kind (plot, table, page).`,
		Example: `  mouseauth evaluate --features features.csv --windows 1,5,10 --out runs/rf
  mouseauth report --run runs/rf
  mouseauth report --run runs/rf --out /tmp/rf-paper --style paper --formats pdf,png
  mouseauth report --run runs/rf --out /tmp/rf-log --roc-scale log --size 5x3.5 --font-size 9
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
			var err error
			if opts.Style, err = fl.styleOf(cmd); err != nil {
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
	cmd.Flags().StringVar(&fl.style, "style", reports.StyleScreen, "figure style: screen (6x4 in, 10 pt, png,svg) or paper (3.5x2.8 in, 8 pt, pdf,svg,png)")
	cmd.Flags().StringVar(&fl.size, "size", "", "figure size WxH in inches, e.g. 3.5x2.6 (default: the style's)")
	cmd.Flags().Float64Var(&fl.fontSize, "font-size", 0, "axis label size in points; ticks and legends 90% of it (default: the style's)")
	cmd.Flags().StringVar(&fl.formats, "formats", "", "figure files to write, comma-separated: png, svg, pdf (default: the style's)")
	cmd.Flags().StringVar(&fl.rocScale, "roc-scale", "linear", "ROC false-match-rate axis: linear (0 to 1) or log (0.001 to 1)")
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
	if run.Incomplete != nil {
		fmt.Fprintf(opts.IO.ErrOut, "warning: %s is incomplete (%s): the report holds what finished\n", path, run.Incomplete.Reason)
	}
	files, err := reports.Write(ctx, opts.Out, run, reports.Options{Style: opts.Style, Progress: progress})
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
