package preprocess

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/mouseauth/mouseauth/dataset"
)

// ExtractOptions configure [ExtractAll].
type ExtractOptions struct {
	Compat Compat
	// MaxActions keeps the first MaxActions actions of each user (in sorted
	// session order); 0 keeps all.
	MaxActions int
	// Strict makes the first malformed row or unreadable file an error.
	Strict  bool
	Workers int // sessions processed at once; 0 = GOMAXPROCS
	// Writer, if set, receives the kept vectors as feature CSV rows, encoded
	// on the workers and written in order.
	Writer *FeatureWriter
	// Collect, if set, receives the kept vectors in order.
	Collect func(*FeatureVector)
	// Log receives what was skipped and why: paths that are not sessions,
	// malformed rows (file, line, field), files that could not be read,
	// rows dropped for their time (per session). Nil discards it.
	Log io.Writer
	// Progress, if set, is called with (0, total) once the sessions are
	// found, then with (done, total) after each session.
	Progress func(done, total int)
}

// UserExtract counts what [ExtractAll] did with one user's sessions.
type UserExtract struct {
	User              string
	Sessions, Failed  int // sessions read, and those with a read error
	Events, Malformed int // events read, malformed rows skipped
	Duplicates        int // duplicate events dropped by segmentation
	// AbsurdTime and Backwards count the events dropped before
	// segmentation by the cleaning rules on time (dataset.TimeFilter).
	AbsurdTime, Backwards int
	MM, PC, DD            int // kept actions by kind
	Actions, NotKept      int // kept actions, and those beyond MaxActions
}

// ExtractResult is what [ExtractAll] did: per user (sorted) and in total.
type ExtractResult struct {
	Users  []UserExtract
	Files  int // session files found
	Events int
	// Actions is the number of vectors kept (written and collected).
	Actions int
}

// Total sums the users' counts (User is "total").
func (r *ExtractResult) Total() UserExtract {
	t := UserExtract{User: "total"}
	for _, u := range r.Users {
		t.Sessions += u.Sessions
		t.Failed += u.Failed
		t.Events += u.Events
		t.Malformed += u.Malformed
		t.Duplicates += u.Duplicates
		t.AbsurdTime += u.AbsurdTime
		t.Backwards += u.Backwards
		t.MM += u.MM
		t.PC += u.PC
		t.DD += u.DD
		t.Actions += u.Actions
		t.NotKept += u.NotKept
	}
	return t
}

// ExtractAll finds every session under data (a session file, a user folder
// or a folder of user folders; see [dataset.Walk]), segments and extracts it
// with [Run] on opts.Workers workers, and hands the kept vectors, in sorted
// user and session order, to opts.Writer and opts.Collect. Rows whose time
// is absurd or runs backwards are dropped before segmentation by the rules
// of `dataset clean` ([dataset.TimeFilter]) and counted per user (and per
// session on opts.Log). Sessions that
// fail are reported on opts.Log and counted (with opts.Strict the first
// failure or malformed row is returned instead).
func ExtractAll(ctx context.Context, data string, opts ExtractOptions) (*ExtractResult, error) {
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	sessions, walkErrs, err := dataset.Walk(data)
	if err != nil {
		return nil, err
	}
	for _, we := range walkErrs {
		fmt.Fprintf(log, "warning: %v\n", we)
	}
	if len(sessions) == 0 {
		return nil, fmt.Errorf("no sessions under %s", data)
	}
	if opts.Progress != nil {
		opts.Progress(0, len(sessions))
	}
	ropts := dataset.ReadOptions{Strict: opts.Strict}
	jobs := make([]Job, len(sessions))
	for i, s := range sessions {
		jobs[i] = Job{User: s.User, Session: s.ID, Open: func() (EventSource, error) {
			r, err := dataset.Open(s.Path, ropts)
			if err != nil {
				return nil, err
			}
			return r, nil
		}}
	}
	res := &ExtractResult{Files: len(sessions)}
	byUser := map[string]int{}
	done := 0
	popts := PipelineOptions{Compat: opts.Compat, Workers: opts.Workers, StopOnError: opts.Strict, EncodeCSV: opts.Writer != nil}
	err = Run(ctx, jobs, popts, func(r *SessionResult) error {
		i, ok := byUser[r.Job.User]
		if !ok {
			i = len(res.Users)
			byUser[r.Job.User] = i
			res.Users = append(res.Users, UserExtract{User: r.Job.User})
		}
		u := &res.Users[i]
		u.Sessions++
		u.Events += r.Events
		res.Events += r.Events
		u.Duplicates += r.Segment.Duplicates
		absurd, back := r.TimeDrops[dataset.DropAbsurdTime], r.TimeDrops[dataset.DropBackwards]
		u.AbsurdTime += absurd
		u.Backwards += back
		if absurd+back > 0 {
			fmt.Fprintf(log, "rows dropped in %s/%s: %d with an absurd time, %d running backwards in time\n",
				r.Job.User, r.Job.Session, absurd, back)
		}
		if rd, ok := r.Source.(*dataset.Reader); ok {
			u.Malformed += rd.Stats().Malformed
			for _, is := range rd.Issues() {
				fmt.Fprintf(log, "row skipped: %v\n", &is)
			}
			if n := rd.Stats().Malformed - len(rd.Issues()); n > 0 {
				fmt.Fprintf(log, "row skipped: %d more malformed rows in %s\n", n, r.Job.Session)
			}
		}
		if r.Err != nil {
			u.Failed++
			fmt.Fprintf(log, "file skipped: %v\n", r.Err)
		}
		keep := len(r.Vectors)
		if opts.MaxActions > 0 && u.Actions+keep > opts.MaxActions {
			keep = max(0, opts.MaxActions-u.Actions)
			u.NotKept += len(r.Vectors) - keep
		}
		for i := range r.Vectors[:keep] {
			v := &r.Vectors[i]
			switch v.Kind() {
			case MM:
				u.MM++
			case PC:
				u.PC++
			case DD:
				u.DD++
			}
			if opts.Collect != nil {
				opts.Collect(v)
			}
		}
		u.Actions += keep
		res.Actions += keep
		if opts.Writer != nil && keep > 0 {
			if err := opts.Writer.WriteRows(r.CSV[:r.RowEnds[keep-1]], keep); err != nil {
				return err
			}
		}
		done++
		if opts.Progress != nil {
			opts.Progress(done, len(sessions))
		}
		return nil
	})
	sort.SliceStable(res.Users, func(i, j int) bool { return res.Users[i].User < res.Users[j].User })
	return res, err
}
