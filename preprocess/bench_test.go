package preprocess

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mouseauth/mouseauth/dataset"
	"github.com/mouseauth/mouseauth/internal/testutil"
)

// loadBalabit reads every Balabit training session into memory.
func loadBalabit(b *testing.B) ([]Job, int) {
	b.Helper()
	balabitDir := testutil.Data(b, balabitRel)
	users, _ := os.ReadDir(balabitDir)
	var jobs []Job
	events := 0
	for _, u := range users {
		files, _ := os.ReadDir(filepath.Join(balabitDir, u.Name()))
		for _, f := range files {
			evs, _, _, err := dataset.ReadFile(filepath.Join(balabitDir, u.Name(), f.Name()), dataset.ReadOptions{})
			if err != nil {
				b.Fatal(err)
			}
			events += len(evs)
			jobs = append(jobs, Job{User: u.Name(), Session: f.Name(), Open: func() (EventSource, error) {
				closed := false
				return &sliceSource{evs: evs, failAt: -1, closed: &closed}, nil
			}})
		}
	}
	return jobs, events
}

// BenchmarkPipelineBalabit: raw Balabit training logs to feature CSV rows
// on one worker: "files" reads and parses the logs (dataset.Open), "memory"
// starts from events already parsed (segmentation, extraction and CSV
// encoding alone).
func BenchmarkPipelineBalabit(b *testing.B) {
	mem, events := loadBalabit(b)
	sessions, _, err := dataset.Walk(testutil.Data(b, balabitRel))
	if err != nil {
		b.Fatal(err)
	}
	files := make([]Job, len(sessions))
	for i, s := range sessions {
		s := s
		files[i] = Job{User: s.User, Session: s.ID, Open: func() (EventSource, error) {
			return dataset.Open(s.Path, dataset.ReadOptions{})
		}}
	}
	for _, bc := range []struct {
		name string
		jobs []Job
		c    Compat
	}{{"files/clean", files, Clean}, {"files/reference", files, Reference}, {"memory/clean", mem, Clean}, {"memory/reference", mem, Reference}} {
		jobs, c := bc.jobs, bc.c
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			actions := 0
			for b.Loop() {
				actions = 0
				err := Run(context.Background(), jobs, PipelineOptions{Compat: c, Workers: 1, EncodeCSV: true},
					func(r *SessionResult) error { actions += len(r.Vectors); return nil })
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s/core")
			b.ReportMetric(float64(actions), "actions")
		})
	}
}

// BenchmarkSegment: segmentation alone, per event.
func BenchmarkSegment(b *testing.B) {
	jobs, events := loadBalabit(b)
	var all [][]dataset.Event
	for _, j := range jobs {
		src, _ := j.Open()
		all = append(all, src.(*sliceSource).evs)
	}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		s := NewSegmenter(SegmentOptions{}, func(Action) { n++ })
		for _, evs := range all {
			s.PushAll(evs)
			s.Flush()
		}
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
