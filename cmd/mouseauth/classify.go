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
		`  mouseauth preprocess features --data ../shared/data/balabit/training_files --out features.csv
  mouseauth classify train --features features.csv --out models
  mouseauth classify score --model models --data ../shared/data/balabit/training_files/user12`,
		newCmdClassifyTrain(f, nil), newCmdClassifyScore(f, nil))
}

// conventionHelp says where a model's feature convention comes from; both
// classify commands print it.
const conventionHelp = `Every model records its feature schema: the extractor (mouseauth/preprocess
and its version), the convention of the features (clean, or reference for
--compat reference) and the ordered feature names. The convention is read
from the feature CSV: mouseauth's CSVs say it in their convention column
(written by 'preprocess features'); the published files (userid last) were
made by the published extractor and are reference. --compat states it for a
file that does not say (a mouseauth CSV written before the column) and is
refused when the file says otherwise.`

// TrainOptions are the options of `mouseauth classify train`.
type TrainOptions struct {
	IO         *cli.IOStreams
	Now        func() time.Time
	Load       func(path string) (*preprocess.Table, error)
	Features   string
	User       string // "" = every user
	Out        string
	Classifier string
	// Params are the classifier's parameters as --param gives them
	// (name=value); Trees, when > 0, is --trees, the same as trees=N.
	Params   []string
	Trees    int
	NegRatio float64 // impostor rows drawn per genuine row
	Compat   string  // the file's convention when it does not say: "", clean or reference
	Seed     int64
	Output   string

	params map[string]any // Params parsed by classify.ParseParams
}

// classifierParamsHelp lists every classifier's parameters (from the
// registry) for a command's --help.
func classifierParamsHelp() string {
	return "Classifier parameters (--param name=value, repeatable; defaults shown):\n\n" + classify.ParamHelp()
}

// parseClassifierParams checks --classifier, --param and --trees (set:
// the flag was given) against the classifier's parameters.
func parseClassifierParams(classifier string, kv []string, trees int, treesSet bool) (map[string]any, error) {
	if _, err := classify.Params(classifier); err != nil {
		return nil, cli.FlagErrorf("--classifier: %v", err)
	}
	if treesSet {
		specs, _ := classify.Params(classifier)
		if !classify.HasParam(classifier, "trees") {
			names := make([]string, len(specs))
			for i, s := range specs {
				names[i] = s.Name
			}
			return nil, cli.FlagErrorf("--trees: classifier %s has no trees (it takes %s; see --help)", classifier, strings.Join(names, ", "))
		}
		for _, s := range kv {
			if k, _, _ := strings.Cut(s, "="); strings.TrimSpace(k) == "trees" {
				return nil, cli.FlagErrorf("--trees and --param %s: give the tree count once", s)
			}
		}
		kv = append(slices.Clone(kv), fmt.Sprintf("trees=%d", trees))
	}
	params, err := classify.ParseParams(classifier, kv)
	if err != nil {
		return nil, cli.FlagErrorf("--param: %v", err)
	}
	return params, nil
}

func newCmdClassifyTrain(f *cli.Factory, runF func(context.Context, *TrainOptions) error) *cobra.Command {
	opts := &TrainOptions{IO: f.IO, Now: f.Now, Load: loadFeatures}
	cmd := &cobra.Command{
		Use:   "train --features F.csv --out DIR",
		Short: "Train one model per user and save it as DIR/<user>.model",
		Long: `Train fits, for each user (or --user), a binary model of that user's actions
(genuine) against --neg-ratio times as many actions drawn at random from the
other users (impostors), and writes it in mouseauth's versioned model format,
which 'classify score' and the live service load. The same --seed and data
give the same models (--seed 0 by default, as in evaluate).

` + conventionHelp + `

` + classifierParamsHelp(),
		Example: `  mouseauth classify train --features features.csv --out models
  mouseauth classify train --features ../shared/data/features/balabit_39feat_PC_MM_DD_100.csv --out models \
      --classifier logreg --param lambda=0.5 --neg-ratio 4
  mouseauth classify train --features features.csv --user user12 --classifier mlp --param hidden=64,32 --out models`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Features == "" || opts.Out == "" {
				return cli.FlagErrorf("--features and --out are required")
			}
			treesSet := cmd.Flags().Changed("trees")
			if treesSet && opts.Trees < 1 {
				return cli.FlagErrorf("--trees must be >= 1, not %d", opts.Trees)
			}
			var err error
			if opts.params, err = parseClassifierParams(opts.Classifier, opts.Params, opts.Trees, treesSet); err != nil {
				return err
			}
			if !treesSet {
				opts.Trees = 0
			}
			if !(opts.NegRatio > 0) {
				return cli.FlagErrorf("--neg-ratio must be > 0, not %v", opts.NegRatio)
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
			return trainRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Features, "features", "", "feature CSV (mouseauth's or a published one)")
	fl.StringVar(&opts.User, "user", "", "train only this user (default: every user)")
	fl.StringVar(&opts.Out, "out", "", "folder for the model files")
	fl.StringVar(&opts.Classifier, "classifier", "rf", "classifier: "+strings.Join(classify.Names(), ", "))
	fl.StringArrayVar(&opts.Params, "param", nil, "classifier parameter name=value, repeatable (listed in the help above)")
	fl.IntVar(&opts.Trees, "trees", 100, "trees of a forest (rf, malaschitz): the same as --param trees=N")
	fl.Float64Var(&opts.NegRatio, "neg-ratio", 1, "training negatives (impostor rows) per positive")
	fl.StringVar(&opts.Compat, "compat", "", "the file's feature convention, clean or reference, where it does not say (default: the file's)")
	fl.Int64Var(&opts.Seed, "seed", 0, "random seed (same seed, same models)")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// checkCompatFlag accepts "" (not given), clean and reference.
func checkCompatFlag(s string) error {
	if s == "" {
		return nil
	}
	if c, ok := preprocess.ParseCompat(s); !ok || c.String() != s {
		return cli.FlagErrorf("--compat must be clean or reference, not %q", s)
	}
	return nil
}

// tableConvention returns the convention of d's features: the file's, or
// compat where the file does not say; a conflict is an error naming the
// file. "" means unknown.
func tableConvention(path string, d *preprocess.Table, compat string) (string, error) {
	switch {
	case compat == "" || compat == d.Convention:
		return d.Convention, nil
	case d.Convention == "":
		return compat, nil
	}
	why := "as its convention column says"
	if d.Extractor == preprocess.PublishedExtractor {
		why = "as a published file (a userid column) made by the published extractor"
	}
	return "", fmt.Errorf("%s holds %s features, %s: --compat %s contradicts it", path, d.Convention, why, compat)
}

func trainRun(ctx context.Context, opts *TrainOptions) error {
	d, err := opts.Load(opts.Features)
	if err != nil {
		return err
	}
	if err := d.Validate(); err != nil {
		return fmt.Errorf("%s: %w", opts.Features, err)
	}
	convention, err := tableConvention(opts.Features, d, opts.Compat)
	if err != nil {
		return err
	}
	if convention == "" {
		convention = classify.SchemaUnknown
		fmt.Fprintf(opts.IO.ErrOut, "note: %s does not say its feature convention (no convention column): the models record it as %s, "+
			"and scoring raw logs with them will need --compat; train with --compat clean or reference to record it\n",
			opts.Features, classify.SchemaUnknown)
	}
	extractor, version := d.Extractor, ""
	switch extractor {
	case preprocess.ExtractorID:
		version = preprocess.ExtractorVersion
	case "":
		extractor = classify.SchemaUnknown
	}
	users, rows := d.ByUser()
	rngs := classify.BatchRands(opts.Seed, users) // of every user, before --user picks one
	if opts.User != "" {
		if _, ok := rows[opts.User]; !ok {
			return fmt.Errorf("%s: no user %q (users: %s)", opts.Features, opts.User, strings.Join(users, ", "))
		}
		users = []string{opts.User}
	}
	params := opts.params
	if params == nil { // called without the command's validation (tests)
		if params, err = parseClassifierParams(opts.Classifier, opts.Params, opts.Trees, opts.Trees > 0); err != nil {
			return err
		}
	}
	c, err := classify.New(opts.Classifier, params)
	if err != nil {
		return err
	}
	effective, err := classify.EffectiveParams(opts.Classifier, params)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return err
	}
	t := &cli.Table{Columns: []string{"user", "genuine", "impostor", "seconds", "bytes", "model"}}
	bar := cli.NewProgress(opts.IO, int64(len(users)), "training", "users")
	defer bar.Done()
	for _, u := range users {
		if err := ctx.Err(); err != nil {
			return err
		}
		own, others := classify.Split(d.Users, d.X, u)
		tr, err := classify.TrainUser(ctx, c, own, others, rngs[u], classify.TrainOptions{NegativeRatio: opts.NegRatio, Now: time.Now})
		if err != nil {
			return fmt.Errorf("train %s: %w", u, err)
		}
		path := filepath.Join(opts.Out, safeName(u)+".model")
		n, err := writeModel(path, &classify.SavedModel{Model: tr.Model, Header: classify.Header{
			Classifier: c.Name(), Params: effective,
			Extractor: extractor, ExtractorVersion: version, Convention: convention, FeatureNames: d.Names,
			User: u, Genuine: tr.Genuine, Impostor: tr.Impostor, Seed: opts.Seed, Created: opts.Now().UTC(),
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
		os.Remove(path) // no half-written model is left to load
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
code: mean (the default, and the reference preset's), median, trimmed (10%
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

// extractConvention returns the convention raw logs are extracted with for
// models: theirs, or compat where they do not record it. Errors say why.
func extractConvention(opts *ScoreOptions, models evaluate.Models) (preprocess.Compat, error) {
	conv, err := models.Convention()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", opts.Model, err)
	}
	for _, m := range models.All() {
		switch h := m.Header; h.Extractor {
		case preprocess.ExtractorID:
			if h.ExtractorVersion != "" && h.ExtractorVersion != preprocess.ExtractorVersion {
				return 0, fmt.Errorf("%s: its features were made by %s version %s; this build extracts version %s: retrain it",
					models.Name(m), h.Extractor, h.ExtractorVersion, preprocess.ExtractorVersion)
			}
		case preprocess.PublishedExtractor, classify.SchemaUnknown, "":
		default:
			return 0, fmt.Errorf("%s: its features were made by %q, which this build cannot extract from raw logs", models.Name(m), h.Extractor)
		}
	}
	if conv == classify.SchemaUnknown {
		if opts.Compat == "" {
			return 0, fmt.Errorf("%s: the models do not record their feature convention: give --compat clean or reference, the --compat their features were extracted with",
				opts.Model)
		}
		conv = opts.Compat
	} else if opts.Compat != "" && opts.Compat != conv {
		return 0, fmt.Errorf("--compat %s, but the models in %s were trained on %s features: leave --compat out",
			opts.Compat, opts.Model, conv)
	}
	c, ok := preprocess.ParseCompat(conv)
	if !ok {
		return 0, fmt.Errorf("%s: unknown feature convention %q (want clean or reference)", models.Name(models.All()[0]), conv)
	}
	return c, nil
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
		compat, err := extractConvention(opts, models)
		if err != nil {
			return err
		}
		for _, m := range models.All() {
			if m.Header.Extractor == preprocess.PublishedExtractor {
				fmt.Fprintf(opts.IO.ErrOut, "note: %s was trained on the published extractor's features; raw logs are extracted by %s with --compat reference, "+
					"which reproduces most but not all published rows\n", models.Name(m), preprocess.ExtractorID)
				break
			}
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
		if d.Convention, err = tableConvention(opts.Features, d, opts.Compat); err != nil {
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
