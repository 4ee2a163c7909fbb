package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/reports"
)

// experiment returns the evaluation the options describe.
func (o *EvaluateOptions) experiment() *evaluate.Experiment {
	e := &evaluate.Experiment{Mode: evaluate.Mode(o.Mode), Settings: evaluate.Settings{
		Protocol: evaluate.Protocol(o.Protocol), Windows: o.Windows, TrainFraction: o.TrainFraction,
		NegativeRatio: o.NegRatio, Aggregate: evaluate.Aggregate(o.Aggregate), Seed: o.Seed, Workers: o.Workers, Now: o.Now},
		Preset: evaluate.Preset(o.Preset), Classifier: o.Classifier, Trees: o.Trees, TreeRange: o.TreeRange,
		Classifiers: o.Classifiers, Thresholds: o.Thresholds, Params: o.Params, Seeds: o.Seeds,
		Stats: evaluate.StatsOptions{Resamples: o.Resamples}, NewClassifier: o.NewClassifier}
	for _, p := range o.Presets {
		e.Presets = append(e.Presets, evaluate.Preset(p))
	}
	return e
}

func evaluateRun(ctx context.Context, o *EvaluateOptions) error {
	if o.Mode == modeHoldout {
		return holdoutRun(ctx, o)
	}
	started := o.Now()
	d, err := o.Load(o.Features)
	if err != nil {
		return err
	}
	if err := d.Validate(); err != nil {
		return fmt.Errorf("%s: %w", o.Features, err)
	}
	for _, note := range evaluate.DefectNotes(o.Features, d) {
		fmt.Fprintf(o.IO.ErrOut, "note: %s\n", note)
	}
	e := o.experiment()
	what := o.Mode
	if o.Mode == modeRun || o.Mode == modeThreshold {
		what = o.Protocol + " " + o.Classifier
	}
	if len(o.Seeds) > 1 {
		what += fmt.Sprintf(", %d seeds", len(o.Seeds))
	}
	var stop func()
	e.Progress, stop = cli.ProgressFunc(o.IO, what, "users")
	run, err := e.Run(ctx, d)
	stop()
	if errors.Is(err, evaluate.ErrInterrupted) && run != nil {
		// Ctrl-C: keep what finished, marked incomplete, and exit 130.
		fmt.Fprintf(o.IO.ErrOut, "note: %s\n", run.Incomplete.Reason)
		if run.Manifest, err = evaluate.NewManifest(o.Args, o.Version, o.Seed, started, o.Features); err != nil {
			return err
		}
		if err := writeRunDir(o, run); err != nil {
			return err
		}
		return context.Canceled
	}
	if err != nil {
		return err
	}
	// The manifest first: the output compares with published figures by
	// the input's SHA-256.
	if run.Manifest, err = evaluate.NewManifest(o.Args, o.Version, o.Seed, started, o.Features); err != nil {
		return err
	}
	if err := cli.RenderSections(o.IO.Out, o.Output, reports.CommandOutput(e.Mode, run)); err != nil {
		return err
	}
	for _, r := range run.Results {
		for _, s := range r.Skipped {
			fmt.Fprintf(o.IO.ErrOut, "skipped user %s (window %d): %s\n", s.User, s.Window, s.Reason)
		}
	}
	return writeRunDir(o, run)
}

// writeRunDir writes run to --out DIR/run.json (with the scores and curves
// beside it), if set.
func writeRunDir(o *EvaluateOptions, run *evaluate.Run) error {
	if o.Out == "" {
		return nil
	}
	paths, err := reports.WriteRun(o.Out, run)
	for _, p := range paths {
		fmt.Fprintf(o.IO.ErrOut, "wrote %s\n", p)
	}
	return err
}
