package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/dataset"
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
	sessions, _, err := dataset.Walk(opts.Data)
	if err != nil {
		return err
	}
	if len(sessions) == 0 {
		return fmt.Errorf("no sessions under %s", opts.Data)
	}
	workers := opts.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers > len(sessions) {
		workers = len(sessions)
	}
	paths := make([]string, len(sessions))
	for i, s := range sessions {
		paths[i] = s.Path
	}
	// Warm the page cache (and count the rows) once, untimed.
	if _, err := csvRead(ctx, paths, workers); err != nil {
		return err
	}
	var best, bestCSV time.Duration
	var events, actions, rows int64
	for r := 0; r < opts.Rounds; r++ {
		start := opts.Now()
		n, err := csvRead(ctx, paths, workers)
		if err != nil {
			return err
		}
		if d := opts.Now().Sub(start); r == 0 || d < bestCSV {
			bestCSV = d
		}
		rows = n

		start = opts.Now()
		fw, err := preprocess.NewFeatureWriter(io.Discard)
		if err != nil {
			return err
		}
		res, err := preprocess.ExtractAll(ctx, opts.Data, preprocess.ExtractOptions{Compat: opts.Compat, Workers: workers, Writer: fw})
		if err != nil {
			return err
		}
		if err := fw.Flush(); err != nil {
			return err
		}
		if d := opts.Now().Sub(start); r == 0 || d < best {
			best = d
		}
		events, actions = int64(res.Events), int64(fw.Rows())
	}
	secs := best.Seconds()
	csvSecs := bestCSV.Seconds()
	evps := float64(events) / secs
	csvps := float64(rows) / csvSecs
	t := &cli.Table{Columns: []string{"files", "events", "actions", "seconds", "events_per_s", "cores",
		"events_per_s_per_core", "csv_rows", "csv_seconds", "csv_rows_per_s", "csv_rows_per_s_per_core", "ratio"}}
	t.Add(len(sessions), events, actions, secs, evps, workers, evps/float64(workers),
		rows, csvSecs, csvps, csvps/float64(workers), evps/csvps)
	return cli.Render(opts.IO.Out, opts.Output, t)
}

// csvRead reads every file with encoding/csv (ReuseRecord, no parsing) on
// workers goroutines and returns the number of records.
func csvRead(ctx context.Context, paths []string, workers int) (int64, error) {
	var next atomic.Int64
	var total atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(paths) || ctx.Err() != nil {
					return
				}
				n, err := csvCount(paths[i])
				total.Add(n)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return total.Load(), firstErr
}

func csvCount(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	r.FieldsPerRecord = -1
	var n int64
	for {
		_, err := r.Read()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("%s: %w", path, err)
		}
		n++
	}
}
