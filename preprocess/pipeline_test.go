package preprocess

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/dataset"
)

// sliceSource is an EventSource over a slice, failing at failAt if >= 0.
type sliceSource struct {
	evs    []dataset.Event
	i      int
	failAt int
	closed *bool
}

func (s *sliceSource) Next() (dataset.Event, error) {
	if s.i == s.failAt {
		return dataset.Event{}, errors.New("bad row")
	}
	if s.i >= len(s.evs) {
		return dataset.Event{}, io.EOF
	}
	s.i++
	return s.evs[s.i-1], nil
}

func (s *sliceSource) Close() error { *s.closed = true; return nil }

func testJobs(t *testing.T, closed []bool) []Job {
	files := []string{"click.csv", "drag.csv", "pause.csv", "straight.csv", "rightangle.csv", "outofrange.csv"}
	var jobs []Job
	for i, f := range files {
		evs := readLog(t, f)
		i := i
		jobs = append(jobs, Job{User: fmt.Sprintf("user%d", i%2), Session: f, Open: func() (EventSource, error) {
			return &sliceSource{evs: evs, failAt: -1, closed: &closed[i]}, nil
		}})
	}
	return jobs
}

func runCollect(t *testing.T, jobs []Job, opts PipelineOptions) ([]FeatureVector, []*SessionResult, error) {
	var vs []FeatureVector
	var rs []*SessionResult
	err := Run(context.Background(), jobs, opts, func(r *SessionResult) error {
		rs = append(rs, r)
		vs = append(vs, r.Vectors...)
		return nil
	})
	return vs, rs, err
}

func TestRunDeterministicOrder(t *testing.T) {
	t.Parallel()
	closed := make([]bool, 6)
	jobs := testJobs(t, closed)
	one, rs, err := runCollect(t, jobs, PipelineOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if r.Job.Session != jobs[i].Session {
			t.Fatalf("result %d is %s, want %s", i, r.Job.Session, jobs[i].Session)
		}
	}
	if !slices.Contains(closed, true) || slices.Contains(closed, false) {
		t.Errorf("sources closed: %v, want all", closed)
	}
	// click 1 PC, drag MM+DD, pause 2 MM, straight, rightangle, outofrange 1 MM each.
	if len(one) != 8 {
		t.Errorf("%d vectors, want 8", len(one))
	}
	for w := 2; w <= 8; w *= 2 {
		many, _, err := runCollect(t, testJobs(t, make([]bool, 6)), PipelineOptions{Workers: w, EncodeCSV: true})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(one, many) {
			t.Errorf("workers=%d: vectors differ from workers=1", w)
		}
	}
}

func TestRunEncodeCSV(t *testing.T) {
	t.Parallel()
	_, rs, err := runCollect(t, testJobs(t, make([]bool, 6)), PipelineOptions{EncodeCSV: true})
	if err != nil {
		t.Fatal(err)
	}
	r := rs[1] // drag.csv: 2 actions
	if len(r.RowEnds) != 2 || r.RowEnds[1] != len(r.CSV) {
		t.Fatalf("RowEnds %v for %d bytes", r.RowEnds, len(r.CSV))
	}
	want := string(AppendFeatureRow(nil, &r.Vectors[0]))
	if got := string(r.CSV[:r.RowEnds[0]]); got != want || !strings.HasPrefix(got, "user1,drag.csv,0,0,clean,1,") {
		t.Errorf("row 0 = %q, want %q", got, want)
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	jobs := testJobs(t, make([]bool, 6))
	jobs[2].Open = func() (EventSource, error) { return nil, errors.New("no such file") }
	evs := readLog(t, "drag.csv")
	closed := false
	jobs[3].Open = func() (EventSource, error) {
		return &sliceSource{evs: evs, failAt: 7, closed: &closed}, nil
	}
	vs, rs, err := runCollect(t, jobs, PipelineOptions{Workers: 3})
	if err != nil {
		t.Fatalf("without StopOnError: %v", err)
	}
	if rs[2].Err == nil || !strings.Contains(rs[2].Err.Error(), "no such file") {
		t.Errorf("open error %v", rs[2].Err)
	}
	if rs[3].Err == nil || !strings.Contains(rs[3].Err.Error(), "session user1/straight.csv: bad row") || rs[3].Events != 7 {
		t.Errorf("read error %v after %d events", rs[3].Err, rs[3].Events)
	}
	if len(rs) != 6 || len(vs) == 0 {
		t.Errorf("%d results, %d vectors: the other sessions should be processed", len(rs), len(vs))
	}
	_, rs, err = runCollect(t, jobs, PipelineOptions{Workers: 3, StopOnError: true})
	if err == nil || !strings.Contains(err.Error(), "no such file") || len(rs) != 2 {
		t.Errorf("StopOnError: err %v after %d results, want the open error after 2", err, len(rs))
	}
	n := 0
	err = Run(context.Background(), testJobs(t, make([]bool, 6)), PipelineOptions{}, func(*SessionResult) error {
		n++
		return errors.New("disk full")
	})
	if err == nil || err.Error() != "disk full" || n != 1 {
		t.Errorf("sink error: %v after %d calls", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Run(ctx, testJobs(t, make([]bool, 6)), PipelineOptions{}, func(*SessionResult) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
