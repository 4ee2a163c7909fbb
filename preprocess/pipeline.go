package preprocess

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/mouseauth/mouseauth/dataset"
)

// EventSource streams one session's events; io.EOF ends it. A
// *dataset.Reader is one.
type EventSource interface {
	Next() (dataset.Event, error)
}

// Job is one session to process. Open is called on a worker goroutine; if
// the source is an io.Closer it is closed after reading.
type Job struct {
	User, Session string
	Open          func() (EventSource, error)
}

// SessionResult is what [Run] made of one [Job].
type SessionResult struct {
	Job    Job
	Source EventSource // as opened (nil if Open failed); closed already
	Events int         // events read
	// TimeDrops counts the events dropped before segmentation by the
	// cleaning rules on time (dataset.TimeFilter: absurd_time, backwards).
	TimeDrops dataset.DropCounts
	Segment   SegmentStats
	Vectors   []FeatureVector // in action order; Index counts from 0
	Err       error           // open or read error; Vectors hold what came before it
	// CSV holds the vectors encoded by [AppendFeatureRow] when
	// [PipelineOptions.EncodeCSV] is set; row i ends at RowEnds[i].
	CSV     []byte
	RowEnds []int
}

// PipelineOptions configure [Run].
type PipelineOptions struct {
	Compat Compat
	// Workers is the number of sessions processed at once; 0 means
	// runtime.GOMAXPROCS(0).
	Workers int
	// StopOnError makes the first session error end the run (Run returns
	// it); otherwise it is reported in the session's result and the rest are
	// processed.
	StopOnError bool
	// EncodeCSV makes the workers encode each session's vectors as feature
	// CSV rows (SessionResult.CSV), so formatting runs in parallel.
	EncodeCSV bool
}

// Run segments and extracts every job's session on a pool of workers and
// calls sink with the results in job order (so output is deterministic
// whatever the number of workers). At most 2*Workers sessions' results are
// held at once. Run stops at the first error from sink or ctx, or (with
// StopOnError) from a session.
func Run(ctx context.Context, jobs []Job, opts PipelineOptions, sink func(*SessionResult) error) error {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type slot struct {
		res  *SessionResult
		done chan struct{}
	}
	slots := make([]slot, len(jobs))
	for i := range slots {
		slots[i].done = make(chan struct{})
	}
	// Tokens bound the results held: a worker takes one before starting a
	// job; the consumer returns it after sinking.
	tokens := make(chan struct{}, 2*workers)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ex Extractor
			ex.Compat = opts.Compat
			for i := range next {
				r := processJob(ctx, jobs[i], opts.Compat, &ex)
				if opts.EncodeCSV {
					r.RowEnds = make([]int, len(r.Vectors))
					for k := range r.Vectors {
						r.CSV = AppendFeatureRow(r.CSV, &r.Vectors[k])
						r.RowEnds[k] = len(r.CSV)
					}
				}
				slots[i].res = r
				close(slots[i].done)
			}
		}()
	}
	go func() {
		defer close(next)
		for i := range jobs {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var err error
	for i := range slots {
		select {
		case <-slots[i].done:
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err != nil {
			break
		}
		r := slots[i].res
		slots[i].res = nil
		<-tokens
		if r.Err != nil && opts.StopOnError {
			err = r.Err
			break
		}
		if err = sink(r); err != nil {
			break
		}
	}
	cancel()
	wg.Wait()
	return err
}

// processJob reads, segments and extracts one session. Events whose time
// is absurd or runs backwards are dropped first, by the rules of `dataset
// clean` (dataset.TimeFilter), and counted: segmenting them would make
// actions of negative or absurd duration.
func processJob(ctx context.Context, j Job, c Compat, ex *Extractor) *SessionResult {
	r := &SessionResult{Job: j}
	src, err := j.Open()
	if err != nil {
		r.Err = err
		return r
	}
	r.Source = src
	if cl, ok := src.(io.Closer); ok {
		defer cl.Close()
	}
	idx := 0
	var tf dataset.TimeFilter
	seg := NewSegmenter(SegmentOptions{Compat: c}, func(a Action) {
		r.Vectors = append(r.Vectors, FeatureVector{User: j.User, Session: j.Session, Index: idx, Compat: c,
			Start: a.Events[0].T, Values: ex.Extract(a)})
		idx++
	})
	for {
		e, err := src.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				r.Err = err
			}
			break
		}
		r.Events++
		if keep, _ := tf.Push(e); keep {
			seg.Push(e)
		}
		if r.Events&0xffff == 0 && ctx.Err() != nil {
			r.Err = ctx.Err()
			break
		}
	}
	seg.Flush()
	r.Segment = seg.Stats()
	r.TimeDrops = tf.Counts
	if r.Err != nil && !errors.Is(r.Err, context.Canceled) {
		r.Err = fmt.Errorf("session %s/%s: %w", j.User, j.Session, r.Err)
	}
	return r
}
