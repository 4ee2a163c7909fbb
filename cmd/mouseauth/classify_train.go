package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/preprocess"
)

// TrainOptions are the options of `mouseauth classify train`.
type TrainOptions struct {
	IO         *cli.IOStreams
	Now        func() time.Time
	Load       func(path string) (*preprocess.Table, error)
	Features   string
	User       string // "" = every user
	Out        string
	Preset     string // the training settings (classify.Preset's name: published is reference there); "" = improved
	Classifier string // "" = the preset's
	// Params are the classifier's parameters as --param gives them
	// (name=value); Trees, when > 0, is --trees, the same as trees=N.
	Params   []string
	Trees    int
	NegRatio float64 // impostor rows drawn per genuine row; 0 = the preset's
	Compat   string  // the file's convention when it does not say: "", clean or reference
	Seed     int64
	Output   string

	params map[string]any // Params parsed by classify.ParseParams
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

--preset sets what --classifier and --neg-ratio leave out, as in evaluate:
improved (the default, what the evaluation recommends and the live service
trains) is gbdt on 8 impostor rows and 1 synthetic background row per
genuine row; published (it was called reference) is the published code's
100-tree random forest on 1.
Every model records its guard: the physical bounds of its features (when
they are mouseauth's) and the range of the user's rows, which the live
service checks every vector against (docs/guard.md). The published files'
column repairs of evaluate's improved preset are not applied here: a model
is trained on the table as it is.

` + conventionHelp + `

` + classifierParamsHelp(),
		Example: `  mouseauth classify train --features features.csv --out models
  mouseauth classify train --features features.csv --preset published --trees 50 --out models
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
			preset, err := trainPreset(opts.IO.ErrOut, opts.Preset)
			if err != nil {
				return err
			}
			opts.Preset = preset
			settings, err := classify.Preset(opts.Preset)
			if err != nil {
				return cli.FlagErrorf("--preset: %v", err)
			}
			if opts.Classifier == "" {
				opts.Classifier = settings.Classifier
				if len(opts.Params) == 0 && !treesSet {
					opts.params = settings.Params
				}
			}
			if opts.params == nil {
				if opts.params, err = parseClassifierParams(opts.Classifier, opts.Params, opts.Trees, treesSet); err != nil {
					return err
				}
			}
			if !treesSet {
				opts.Trees = 0
			}
			if cmd.Flags().Changed("neg-ratio") && !(opts.NegRatio > 0) {
				return cli.FlagErrorf("--neg-ratio must be > 0, not %v", opts.NegRatio)
			}
			if opts.NegRatio == 0 {
				opts.NegRatio = settings.NegativeRatio
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
	fl.StringVar(&opts.Preset, "preset", presetDefault, "training settings: improved (gbdt, 8 negatives and 1 background negative per positive) or published (rf, 1; it was called reference)")
	fl.StringVar(&opts.Classifier, "classifier", "", "classifier: "+strings.Join(classify.Names(), ", ")+" (empty = the preset's)")
	fl.StringArrayVar(&opts.Params, "param", nil, "classifier parameter name=value, repeatable (listed in the help above)")
	fl.IntVar(&opts.Trees, "trees", 100, "trees of a forest (rf, malaschitz): the same as --param trees=N")
	fl.Float64Var(&opts.NegRatio, "neg-ratio", 0, "training negatives (impostor rows) per positive (0 = the preset's)")
	fl.StringVar(&opts.Compat, "compat", "", "the file's feature convention, clean or reference, where it does not say (default: the file's)")
	bindSeed(fl, &opts.Seed, "random seed (same seed, same models)")
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
	schema, err := evaluate.TableSchema(opts.Features, d, opts.Compat)
	if err != nil {
		return err
	}
	if !schema.Known() {
		fmt.Fprintf(opts.IO.ErrOut, "note: %s does not say its feature convention (no convention column): the models record it as %s, "+
			"and scoring raw logs with them will need --compat; train with --compat clean or reference to record it\n",
			opts.Features, classify.SchemaUnknown)
	}
	preset := opts.Preset
	if preset == "" {
		preset = classify.PresetImproved
	}
	settings, err := classify.Preset(preset)
	if err != nil {
		return err
	}
	classifier, ratio := opts.Classifier, opts.NegRatio
	if classifier == "" {
		classifier = settings.Classifier
	}
	if ratio == 0 {
		ratio = settings.NegativeRatio
	}
	params := opts.params
	if params == nil { // called without the command's validation (tests)
		if params, err = parseClassifierParams(classifier, opts.Params, opts.Trees, opts.Trees > 0); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return err
	}
	t := &cli.Table{Columns: []string{"user", "genuine", "impostor", "seconds", "bytes", "model"}}
	var bar *cli.Progress
	defer func() { bar.Done() }()
	err = evaluate.TrainModels(ctx, opts.Features, d, evaluate.TrainOptions{Classifier: classifier, Params: params,
		NegativeRatio: ratio, Background: settings.Background, Guard: settings.Guard, Preset: preset,
		Seed: opts.Seed, User: opts.User, Schema: schema, Now: opts.Now},
		func(users int) { bar = cli.NewProgress(opts.IO, int64(users), "training", "users") },
		func(m evaluate.TrainedModel) error {
			path := classify.ModelPath(opts.Out, m.User)
			n, err := classify.SaveFile(path, m.Model)
			if err != nil {
				return err
			}
			t.Add(m.User, m.Genuine, m.Impostor, m.Seconds, n, path)
			bar.Add(1)
			return nil
		})
	if err != nil {
		return err
	}
	bar.Done()
	return cli.Render(opts.IO.Out, opts.Output, t)
}
