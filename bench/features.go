package bench

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mouseauth/mouseauth/dataset"
	"github.com/mouseauth/mouseauth/preprocess"
)

// FeaturesOptions configure [RunFeatures].
type FeaturesOptions struct {
	Data    string // session file, user folder or folder of user folders
	Compat  preprocess.Compat
	Workers int // parallel sessions; 0 = GOMAXPROCS, at most the number of sessions
	Rounds  int // timed rounds, at least 1; each figure is the best round's
	Now     func() time.Time
}

// FeaturesResult is the feature pipeline's throughput beside its peer
// measured in the same run: reading the same files with a plain
// encoding/csv reader (records only, no parsing) on as many workers.
type FeaturesResult struct {
	Files   int
	Events  int64 // events read and parsed
	Actions int64 // feature rows written
	Seconds float64
	Workers int
	// CSVRows and CSVSeconds are the peer's.
	CSVRows    int64
	CSVSeconds float64
}

// EventsPerSecond is the feature pipeline's throughput.
func (r FeaturesResult) EventsPerSecond() float64 { return float64(r.Events) / r.Seconds }

// CSVRowsPerSecond is the peer's throughput.
func (r FeaturesResult) CSVRowsPerSecond() float64 { return float64(r.CSVRows) / r.CSVSeconds }

// Ratio is the pipeline's events per second over the peer's rows per
// second.
func (r FeaturesResult) Ratio() float64 { return r.EventsPerSecond() / r.CSVRowsPerSecond() }

// RunFeatures times the whole feature pipeline over o.Data (read and parse
// every session, segment, extract the features, format the feature CSV to
// a discarding writer) and, in the same rounds, the plain encoding/csv
// read of the same files. The files are read once before timing, so both
// find them in the page cache.
func RunFeatures(ctx context.Context, o FeaturesOptions) (FeaturesResult, error) {
	var res FeaturesResult
	if o.Rounds < 1 || o.Workers < 0 {
		return res, fmt.Errorf("bench: features needs at least 1 round and workers >= 0 (got %d, %d)", o.Rounds, o.Workers)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	sessions, _, err := dataset.Walk(o.Data)
	if err != nil {
		return res, err
	}
	if len(sessions) == 0 {
		return res, fmt.Errorf("no sessions under %s", o.Data)
	}
	workers := o.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(sessions))
	paths := make([]string, len(sessions))
	for i, s := range sessions {
		paths[i] = s.Path
	}
	// Warm the page cache, untimed.
	if _, err := csvRead(ctx, paths, workers); err != nil {
		return res, err
	}
	res.Files, res.Workers = len(sessions), workers
	var best, bestCSV time.Duration
	for r := range o.Rounds {
		start := o.Now()
		n, err := csvRead(ctx, paths, workers)
		if err != nil {
			return res, err
		}
		if d := o.Now().Sub(start); r == 0 || d < bestCSV {
			bestCSV = d
		}
		res.CSVRows = n

		start = o.Now()
		fw, err := preprocess.NewFeatureWriter(io.Discard)
		if err != nil {
			return res, err
		}
		ex, err := preprocess.ExtractAll(ctx, o.Data, preprocess.ExtractOptions{Compat: o.Compat, Workers: workers, Writer: fw})
		if err != nil {
			return res, err
		}
		if err := fw.Flush(); err != nil {
			return res, err
		}
		if d := o.Now().Sub(start); r == 0 || d < best {
			best = d
		}
		res.Events, res.Actions = int64(ex.Events), int64(fw.Rows())
	}
	res.Seconds, res.CSVSeconds = best.Seconds(), bestCSV.Seconds()
	return res, nil
}

// csvRead reads every file with encoding/csv (ReuseRecord, no parsing),
// workers files at a time, and returns the number of records.
func csvRead(ctx context.Context, paths []string, workers int) (int64, error) {
	var total atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, p := range paths {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			n, err := csvCount(p)
			total.Add(n)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return total.Load(), err
	}
	return total.Load(), ctx.Err()
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
