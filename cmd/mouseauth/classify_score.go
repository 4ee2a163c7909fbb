package main

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/preprocess"
)

// ScoreOptions are the options of `mouseauth classify score`.
type ScoreOptions struct {
	IO       *cli.IOStreams
	Load     func(path string) (*preprocess.Table, error)
	Model    string // a model file, or a folder of them (one per user)
	Features string // a feature CSV, or
	Data     string // raw logs: features are extracted first, with the models' convention
	// Compat states the convention where the models (--data) or the feature
	// CSV (--features) do not record it: "", clean or reference.
	Compat    string
	Aggregate string // a session's score from its actions': mean (default), median, trimmed, logodds
	PerAction bool   // one row per action instead of per session
	Output    string
}

func newCmdClassifyScore(f *cli.Factory, runF func(context.Context, *ScoreOptions) error) *cobra.Command {
	opts := &ScoreOptions{IO: f.IO, Load: loadFeatures}
	cmd := &cobra.Command{
		Use:   "score --model M (--features F.csv | --data LOGS)",
		Short: "Score each session (or action) of a feature CSV or of raw logs with saved models",
		Long: `Score applies models to every action of a feature CSV (--features) or of raw
logs (--data, extracted first with the models' own convention) and prints one
row per user and session: the number of actions and the session score, the
--aggregate of the actions' scores (each the probability that the action is
the genuine user's). The aggregates are evaluate's window scores, by the same
code: mean (the default, and the published preset's), median, trimmed (10%
cut at each end) or logodds (the improved preset's), so a session scored here
equals a window of the same actions in evaluate. --per-action prints one row
per action and its score instead.

With a single model file every row is scored against it (the question: is
this the model's user?). With a folder of models each row is scored against
its own user's model (the question: is this really the user it claims to
be?); rows of users without a model are reported and skipped.

The model's features are taken from the CSV's columns by name, so a CSV with
its columns in another order scores the same; a feature column that is
missing or renamed, or features of another convention than the model's, are
refused, naming the file and the column.

` + conventionHelp,
		Example: `  mouseauth classify score --model models/user12.model --features features.csv
  mouseauth classify score --model models --features features.csv --aggregate logodds -o csv
  mouseauth classify score --model models --data ../shared/data/balabit/training_files/user12 --per-action -o csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Model == "" || (opts.Features == "") == (opts.Data == "") {
				return cli.FlagErrorf("--model and one of --features or --data are required")
			}
			if _, err := evaluate.ParseAggregate(opts.Aggregate); err != nil {
				return cli.FlagErrorf("--aggregate: %v", err)
			}
			if opts.PerAction && cmd.Flags().Changed("aggregate") {
				return cli.FlagErrorf("--aggregate combines a session's actions; --per-action prints them one by one: give one of the two")
			}
			if err := checkCompatFlag(opts.Compat); err != nil {
				return err
			}
			if err := cli.ValidateOutput(opts.Output); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return scoreRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Model, "model", "", "model file, or folder of model files")
	fl.StringVar(&opts.Features, "features", "", "feature CSV to score")
	fl.StringVar(&opts.Data, "data", "", "raw logs to score (session file, user folder or folder of users)")
	fl.StringVar(&opts.Compat, "compat", "", "feature convention, clean or reference, where the models (--data) or the CSV (--features) do not say")
	fl.StringVar(&opts.Aggregate, "aggregate", string(evaluate.AggMean), "session score: mean, median, trimmed or logodds (as evaluate's window score)")
	fl.BoolVar(&opts.PerAction, "per-action", false, "print one row per action with its score")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

func scoreRun(ctx context.Context, opts *ScoreOptions) error {
	models, err := evaluate.LoadModels(opts.Model)
	if err != nil {
		return err
	}
	var d *preprocess.Table
	source := opts.Features
	if opts.Data != "" {
		source = opts.Data
		compat, err := models.ExtractCompat(opts.Model, opts.Compat)
		if err != nil {
			return err
		}
		if m := models.PublishedModel(); m != nil {
			fmt.Fprintf(opts.IO.ErrOut, "note: %s was trained on the published extractor's features; raw logs are extracted by %s with --compat reference, "+
				"which reproduces most but not all published rows\n", models.Name(m), preprocess.ExtractorID)
		}
		d = &preprocess.Table{Names: preprocess.FeatureNames[:], Extractor: preprocess.ExtractorID, Convention: compat.String()}
		progress, stop := cli.ProgressFunc(opts.IO, "sessions", "sessions")
		_, err = preprocess.ExtractAll(ctx, opts.Data, preprocess.ExtractOptions{Compat: compat,
			Log: opts.IO.ErrOut, Progress: progress, Collect: d.Append})
		stop()
		if err != nil {
			return err
		}
	} else {
		if d, err = opts.Load(opts.Features); err != nil {
			return err
		}
		if d.Convention, err = evaluate.TableConvention(opts.Features, d, opts.Compat); err != nil {
			return err
		}
	}
	actions, missing, err := evaluate.ScoreActions(ctx, d, models)
	for _, u := range slices.Sorted(maps.Keys(missing)) {
		fmt.Fprintf(opts.IO.ErrOut, "skipped %d actions of %s: no model for that user in %s\n", missing[u], u, opts.Model)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	if opts.PerAction {
		return cli.Render(opts.IO.Out, opts.Output, actionTable(d, actions))
	}
	t := &cli.Table{Columns: []string{"user", "session", "actions", "score"}}
	for _, s := range evaluate.AggregateSessions(actions, evaluate.Aggregate(opts.Aggregate)) {
		t.Add(s.User, s.Session, s.Actions, s.Score)
	}
	return cli.Render(opts.IO.Out, opts.Output, t)
}

// actionTable is one row per scored action: its user, session, index in
// the session (the table's, else counted from 0 per session), start time
// where the table has it, and score.
func actionTable(d *preprocess.Table, actions []evaluate.ActionScore) *cli.Table {
	cols := []string{"user", "session", "action"}
	if d.Starts != nil {
		cols = append(cols, "start")
	}
	t := &cli.Table{Columns: append(cols, "score")}
	type key struct{ user, session string }
	next := map[key]int{}
	for _, a := range actions {
		k := key{a.User, a.Session}
		idx := next[k]
		next[k]++
		if d.Actions != nil {
			idx = d.Actions[a.Row]
		}
		cells := []any{a.User, a.Session, idx}
		if d.Starts != nil {
			cells = append(cells, d.Starts[a.Row])
		}
		t.Add(append(cells, a.Score)...)
	}
	return t
}
