package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/preprocess"
)

// NewCmdClassify is the classify command group.
func NewCmdClassify(f *cli.Factory) *cobra.Command {
	return group("classify", "Train per-user models and score actions and sessions with them",
		`  mouseauth classify train --features features.csv --out models
  mouseauth classify score --model models --features features.csv`,
		newCmdClassifyTrain(f, nil), newCmdClassifyScore(f, nil))
}

// TrainOptions are the options of `mouseauth classify train`.
type TrainOptions struct {
	IO         *cli.IOStreams
	Now        func() time.Time
	Load       func(path string) (*preprocess.Table, error)
	Features   string
	User       string // "" = every user
	Out        string
	Classifier string
	Trees      int
	Seed       int64
	Output     string
}

func newCmdClassifyTrain(f *cli.Factory, runF func(context.Context, *TrainOptions) error) *cobra.Command {
	opts := &TrainOptions{IO: f.IO, Now: f.Now, Load: loadFeatures}
	cmd := &cobra.Command{
		Use:   "train --features F.csv --out DIR",
		Short: "Train one model per user and save it as DIR/<user>.model",
		Long: `Train fits, for each user (or --user), a binary model of that user's actions
(genuine) against as many actions drawn at random from the other users
(impostors), and writes it in mouseauth's versioned model format, which the
live service loads. The same --seed and data give the same models.`,
		Example: `  mouseauth classify train --features features.csv --out models
  mouseauth classify train --features ../shared/data/features/dfl_39feat_PC_MM_DD_500.csv --user 3 --trees 200 --out models`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Features == "" || opts.Out == "" {
				return cli.FlagErrorf("--features and --out are required")
			}
			if opts.Trees < 1 {
				return cli.FlagErrorf("--trees must be >= 1, not %d", opts.Trees)
			}
			if _, err := classify.New(opts.Classifier, nil); err != nil {
				return cli.FlagErrorf("--classifier: %v", err)
			}
			if err := cli.ValidateOutput(opts.Output); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return trainRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Features, "features", "", "feature CSV (mouseauth's or a published one)")
	fl.StringVar(&opts.User, "user", "", "train only this user (default: every user)")
	fl.StringVar(&opts.Out, "out", "", "folder for the model files")
	fl.StringVar(&opts.Classifier, "classifier", "rf", "classifier: "+strings.Join(classify.Names(), ", "))
	fl.IntVar(&opts.Trees, "trees", 100, "trees in the forest")
	fl.Int64Var(&opts.Seed, "seed", 1, "random seed")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

func trainRun(ctx context.Context, opts *TrainOptions) error {
	d, err := opts.Load(opts.Features)
	if err != nil {
		return err
	}
	if err := d.Validate(); err != nil {
		return fmt.Errorf("%s: %w", opts.Features, err)
	}
	users, rows := d.ByUser()
	rngs := classify.BatchRands(opts.Seed, users) // of every user, before --user picks one
	if opts.User != "" {
		if _, ok := rows[opts.User]; !ok {
			return fmt.Errorf("%s: no user %q (users: %s)", opts.Features, opts.User, strings.Join(users, ", "))
		}
		users = []string{opts.User}
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return err
	}
	params := evaluate.ClassifierParams(opts.Classifier, opts.Trees)
	c, err := classify.New(opts.Classifier, params)
	if err != nil {
		return err
	}
	header := map[string]string{}
	for k, v := range params {
		header[k] = fmt.Sprint(v)
	}
	t := &cli.Table{Columns: []string{"user", "genuine", "impostor", "seconds", "bytes", "model"}}
	bar := cli.NewProgress(opts.IO, int64(len(users)), "training", "users")
	defer bar.Done()
	for _, u := range users {
		if err := ctx.Err(); err != nil {
			return err
		}
		own, others := classify.Split(d.Users, d.X, u)
		tr, err := classify.TrainUser(ctx, c, own, others, rngs[u], classify.TrainOptions{Now: time.Now})
		if err != nil {
			return fmt.Errorf("train %s: %w", u, err)
		}
		path := filepath.Join(opts.Out, safeName(u)+".model")
		n, err := writeModel(path, &classify.SavedModel{Model: tr.Model, Header: classify.Header{
			Classifier: c.Name(), Params: header, FeatureNames: d.Names, User: u,
			Genuine: tr.Genuine, Impostor: tr.Impostor, Seed: opts.Seed, Created: opts.Now().UTC(),
		}})
		if err != nil {
			return err
		}
		t.Add(u, tr.Genuine, tr.Impostor, tr.Seconds, n, path)
		bar.Add(1)
	}
	bar.Done()
	return cli.Render(opts.IO.Out, opts.Output, t)
}

// safeName keeps a user name usable as a file name.
func safeName(u string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 || r == ':' {
			return '_'
		}
		return r
	}, u)
}

func writeModel(path string, m *classify.SavedModel) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	if err := classify.Save(f, m); err != nil {
		f.Close()
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	fi, err := f.Stat()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// ScoreOptions are the options of `mouseauth classify score`.
type ScoreOptions struct {
	IO       *cli.IOStreams
	Load     func(path string) (*preprocess.Table, error)
	Model    string // a model file, or a folder of them (one per user)
	Features string // a feature CSV, or
	Data     string // raw logs: features are extracted first (clean definitions)
	Output   string
}

func newCmdClassifyScore(f *cli.Factory, runF func(context.Context, *ScoreOptions) error) *cobra.Command {
	opts := &ScoreOptions{IO: f.IO, Load: loadFeatures}
	cmd := &cobra.Command{
		Use:   "score --model M --features F.csv",
		Short: "Score each session of a feature CSV: the mean of its actions' scores",
		Long: `Score applies a model to every action of a feature CSV and prints one row per
user and session: the number of actions and the session score, the mean of
the actions' scores (the probability that they are the genuine user's).

With a single model file every row is scored against it (the question: is
this the model's user?). With a folder of models each row is scored against
its own user's model (the question: is this really the user it claims to
be?); rows of users without a model are reported and skipped.`,
		Example: `  mouseauth classify score --model models/user12.model --features features.csv
  mouseauth classify score --model models --features features.csv -o csv
  mouseauth classify score --model models --data ../shared/data/balabit/training_files/user12`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Model == "" || (opts.Features == "") == (opts.Data == "") {
				return cli.FlagErrorf("--model and one of --features or --data are required")
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
	cmd.Flags().StringVar(&opts.Model, "model", "", "model file, or folder of model files")
	cmd.Flags().StringVar(&opts.Features, "features", "", "feature CSV to score")
	cmd.Flags().StringVar(&opts.Data, "data", "", "raw logs to score (session file, user folder or folder of users)")
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
		d = &preprocess.Table{Names: preprocess.FeatureNames[:]}
		progress, stop := cli.ProgressFunc(opts.IO, "sessions", "sessions")
		_, err = preprocess.ExtractAll(ctx, opts.Data, preprocess.ExtractOptions{Compat: preprocess.Clean,
			Log: opts.IO.ErrOut, Progress: progress, Collect: d.Append})
		stop()
	} else {
		d, err = opts.Load(opts.Features)
	}
	if err != nil {
		return err
	}
	scores, missing, err := evaluate.ScoreSessions(ctx, d, models)
	for _, u := range slices.Sorted(maps.Keys(missing)) {
		fmt.Fprintf(opts.IO.ErrOut, "skipped %d actions of %s: no model for that user in %s\n", missing[u], u, opts.Model)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	t := &cli.Table{Columns: []string{"user", "session", "actions", "score"}}
	for _, s := range scores {
		t.Add(s.User, s.Session, s.Actions, s.Score)
	}
	return cli.Render(opts.IO.Out, opts.Output, t)
}
