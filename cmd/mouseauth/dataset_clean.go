package main

import (
	"bufio"
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
  backwards             time earlier than the last kept row
  same_time             same time, button and state as the last kept row

A file that cannot be read at all (empty, binary) is reported and the rest of
the data set is still cleaned. With --strict the first malformed row is an
error that names its file, line and field.`,
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

// cleanResult is one session's outcome.
type cleanResult struct {
	s       dataset.Session
	rows    int
	kept    int
	drops   dataset.DropCounts
	issues  []dataset.RowError
	skipped error // the file could not be read at all
}

func cleanRun(ctx context.Context, opts *CleanOptions) error {
	sessions, problems, err := dataset.Walk(opts.Data)
	if err != nil {
		return fmt.Errorf("read %s: %w", opts.Data, err)
	}
	for _, p := range problems {
		fmt.Fprintf(opts.IO.ErrOut, "warning: %v\n", p)
	}
	if len(sessions) == 0 {
		return fmt.Errorf("%s: no session files found", opts.Data)
	}
	root := opts.Data
	if fi, err := os.Stat(root); err == nil && !fi.IsDir() {
		root = filepath.Dir(filepath.Dir(root))
	} else if len(problems) == 0 && allOneUser(sessions) && filepath.Base(filepath.Clean(root)) == sessions[0].User {
		root = filepath.Dir(filepath.Clean(root))
	}

	bar := cli.NewProgress(opts.IO, int64(len(sessions)), "cleaning", "sessions")
	var results []cleanResult
	for _, s := range sessions {
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(root, s.Path)
		if err != nil || strings.HasPrefix(rel, "..") {
			rel = filepath.Join(s.User, filepath.Base(s.Path))
		}
		res, err := cleanSession(s, filepath.Join(opts.Out, rel), opts)
		if err != nil {
			bar.Done()
			return err
		}
		results = append(results, res)
		bar.Add(1)
	}
	bar.Done()
	return reportClean(opts, results)
}

func allOneUser(ss []dataset.Session) bool {
	for _, s := range ss {
		if s.User != ss[0].User {
			return false
		}
	}
	return true
}

func cleanSession(s dataset.Session, outPath string, opts *CleanOptions) (cleanResult, error) {
	res := cleanResult{s: s}
	r, err := dataset.Open(s.Path, dataset.ReadOptions{Strict: opts.Strict, MaxIssues: opts.MaxListed})
	if err != nil {
		if opts.Strict {
			return res, err
		}
		res.skipped = err
		return res, nil
	}
	defer r.Close()
	w, err := opts.Create(outPath)
	if err != nil {
		return res, fmt.Errorf("write cleaned log: %w", err)
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	if h := r.Header(); h != nil {
		bw.Write(h)
		bw.WriteByte('\n')
	}
	c := dataset.NewCleaner(opts.Screen)
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			w.Close()
			return res, err // strict mode: a *RowError naming file, line, field
		}
		if keep, _ := c.Push(ev); keep {
			bw.Write(r.Raw())
			bw.WriteByte('\n')
		}
	}
	st := r.Stats()
	// Malformed rows are all counted in Stats; Issues holds the first few
	// in full, so unknown buttons/states beyond those count as malformed
	// only if the reader stopped recording: count the recorded ones by
	// reason and the rest as malformed.
	for _, is := range r.Issues() {
		c.CountIssue(is)
	}
	c.Counts[dataset.DropMalformed] += st.Malformed - len(r.Issues())
	res.rows, res.kept, res.drops, res.issues = st.Rows, c.Kept, c.Counts, r.Issues()
	if err := bw.Flush(); err != nil {
		w.Close()
		return res, fmt.Errorf("write %s: %w", outPath, err)
	}
	if err := w.Close(); err != nil {
		return res, fmt.Errorf("write %s: %w", outPath, err)
	}
	return res, nil
}

func reportClean(opts *CleanOptions, results []cleanResult) error {
	cols := []string{"user", "session", "rows", "kept"}
	for r := dataset.DropReason(0); r < dataset.NumDropReasons; r++ {
		cols = append(cols, r.String())
	}
	t := &cli.Table{Columns: cols}
	var total dataset.DropCounts
	var rows, kept, listed, unlisted, skipped int
	for _, res := range results {
		if res.skipped != nil {
			skipped++
			fmt.Fprintf(opts.IO.ErrOut, "skipped %v\n", res.skipped)
			continue
		}
		cells := []any{res.s.User, res.s.ID, res.rows, res.kept}
		for _, n := range res.drops {
			cells = append(cells, n)
		}
		t.Add(cells...)
		total.Add(res.drops)
		rows += res.rows
		kept += res.kept
		for _, is := range res.issues {
			if listed < opts.MaxListed {
				fmt.Fprintf(opts.IO.ErrOut, "malformed: %s\n", is.Error())
				listed++
			} else {
				unlisted++
			}
		}
		unlisted += res.drops[dataset.DropMalformed] + res.drops[dataset.DropUnknownButtonState] - len(res.issues)
	}
	if unlisted > 0 {
		fmt.Fprintf(opts.IO.ErrOut, "malformed: ... and %d more\n", unlisted)
	}
	cells := []any{"TOTAL", fmt.Sprintf("%d sessions", len(results)-skipped), rows, kept}
	for _, n := range total {
		cells = append(cells, n)
	}
	t.Add(cells...)
	if err := cli.Render(opts.IO.Out, opts.Output, t); err != nil {
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
