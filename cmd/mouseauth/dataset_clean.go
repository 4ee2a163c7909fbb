package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/dataset"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/reports"
)

// CleanOptions are the options of `mouseauth dataset clean`.
type CleanOptions struct {
	IO *cli.IOStreams
	// Create opens an output file, creating its folder (real files outside tests).
	Create    func(path string) (io.WriteCloser, error)
	Data, Out string
	Screen    dataset.CleanOptions
	Strict    bool
	Output    string
	// MaxListed is how many malformed rows are listed on stderr (the rest are counted).
	MaxListed int
}

func newCmdDatasetClean(f *cli.Factory) *cobra.Command { return newCmdDatasetCleanF(f, nil) }

func newCmdDatasetCleanF(f *cli.Factory, runF func(context.Context, *CleanOptions) error) *cobra.Command {
	opts := &CleanOptions{IO: f.IO, Create: createInDir, MaxListed: 20}
	var screen string
	cmd := &cobra.Command{
		Use:   "clean --data DIR_OR_FILE --out DIR",
		Short: "Drop bad rows from raw logs and count every drop and why",
		Long: `Clean reads every session under --data (a folder of user folders, one user
folder, or one file), drops bad rows and writes the kept rows, as written, to
the same layout under --out. It prints how many rows were dropped for each
reason, per user and session. Each dropped row has one reason, the first
rule it breaks, in this order:

  malformed             the row could not be parsed (listed with file, line, field)
  unknown_button_state  a button or state the logger should not write
  repeated              the row repeats the previous row exactly
  out_of_range          negative, the 65535 artefact, or beyond --screen
  absurd_time           negative, above 1e10 s, or a day after the last kept row
  backwards             time earlier than the last kept row
  same_time             same time, button and state as the last kept row

A file that cannot be read at all (empty, binary) is reported and the rest of
the data set is still cleaned. With --strict the first malformed row is an
error that names its file, line and field.

It prints two sections: the sessions, one row each (-o csv prints these),
and the total, a section of its own, never a row among the sessions (-o
json: {"sessions": [...], "total": [...]}).`,
		Example: `  mouseauth dataset clean --data ../shared/data/balabit/training_files --out cleaned
  mouseauth dataset clean --data logs/User3 --out cleaned --screen 1920x1080 --output csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Data == "" || opts.Out == "" {
				return cli.FlagErrorf("--data and --out are required")
			}
			if err := cli.ValidateOutput(opts.Output); err != nil {
				return err
			}
			if screen != "" {
				w, h, err := parseScreen(screen)
				if err != nil {
					return err
				}
				opts.Screen.ScreenW, opts.Screen.ScreenH = w, h
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return cleanRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Data, "data", "", "a folder of user folders, one user folder, or one log file")
	cmd.Flags().StringVar(&opts.Out, "out", "", "folder for the cleaned logs")
	cmd.Flags().StringVar(&screen, "screen", "", "screen size WxH: coordinates beyond it are out of range (default: only the 65535 artefact)")
	cmd.Flags().BoolVar(&opts.Strict, "strict", false, "make the first malformed row an error")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

func parseScreen(s string) (int32, int32, error) {
	a, b, ok := strings.Cut(strings.ToLower(s), "x")
	w, err1 := strconv.ParseInt(a, 10, 32)
	h, err2 := strconv.ParseInt(b, 10, 32)
	if !ok || err1 != nil || err2 != nil || w <= 0 || h <= 0 {
		return 0, 0, cli.FlagErrorf("--screen must be WIDTHxHEIGHT in pixels, like 1920x1080, not %q", s)
	}
	return int32(w), int32(h), nil
}

func createInDir(path string) (io.WriteCloser, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	return os.Create(path)
}

func cleanRun(ctx context.Context, opts *CleanOptions) error {
	progress, stop := cli.ProgressFunc(opts.IO, "cleaning", "sessions")
	results, err := dataset.CleanFiles(ctx, opts.Data, opts.Out, dataset.CleanFilesOptions{Clean: opts.Screen,
		Strict: opts.Strict, MaxIssues: opts.MaxListed, Create: opts.Create, Warn: opts.IO.ErrOut, Progress: progress})
	stop()
	if err != nil {
		return err
	}
	return reportClean(opts, results)
}

func reportClean(opts *CleanOptions, results []dataset.CleanedSession) error {
	cols := []string{"user", "session", "rows", "kept"}
	for r := dataset.DropReason(0); r < dataset.NumDropReasons; r++ {
		cols = append(cols, r.String())
	}
	t := &cli.Table{Columns: cols}
	var total dataset.DropCounts
	var rows, kept, listed, unlisted, skipped int
	for _, res := range results {
		if res.Skipped != nil {
			skipped++
			fmt.Fprintf(opts.IO.ErrOut, "skipped %v\n", res.Skipped)
			continue
		}
		cells := []any{res.Session.User, res.Session.ID, res.Rows, res.Kept}
		for _, n := range res.Drops {
			cells = append(cells, n)
		}
		t.Add(cells...)
		total.Add(res.Drops)
		rows += res.Rows
		kept += res.Kept
		for _, is := range res.Issues {
			if listed < opts.MaxListed {
				fmt.Fprintf(opts.IO.ErrOut, "malformed: %s\n", is.Error())
				listed++
			} else {
				unlisted++
			}
		}
		unlisted += res.Drops[dataset.DropMalformed] + res.Drops[dataset.DropUnknownButtonState] - len(res.Issues)
	}
	if unlisted > 0 {
		fmt.Fprintf(opts.IO.ErrOut, "malformed: ... and %d more\n", unlisted)
	}
	// The totals are a section of their own, never a row among sessions.
	tot := &cli.Table{Columns: append([]string{"sessions", "skipped_files"}, cols[2:]...)}
	cells := []any{len(results) - skipped, skipped, rows, kept}
	for _, n := range total {
		cells = append(cells, n)
	}
	tot.Add(cells...)
	secs := reports.Sections{{Name: "sessions", Title: "Per session: rows read, kept and dropped by reason", Table: t},
		{Name: "total", Title: "Total", Table: tot}}
	if err := cli.RenderSections(opts.IO.Out, opts.Output, secs); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "cleaned logs in %s: %d of %d rows kept", opts.Out, kept, rows)
	if skipped > 0 {
		fmt.Fprintf(opts.IO.ErrOut, "; %d file(s) could not be read (listed above)", skipped)
	}
	fmt.Fprintln(opts.IO.ErrOut)
	if skipped == len(results) {
		return errors.New("no file could be read")
	}
	return nil
}
