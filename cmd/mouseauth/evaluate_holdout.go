package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/preprocess"
	"github.com/mouseauth/mouseauth/reports"
)

func newCmdEvaluateHoldout(f *cli.Factory, runF func(context.Context, *EvaluateOptions) error) *cobra.Command {
	cmd, _, o := evaluateCommand(f, runF, modeHoldout, &cobra.Command{
		Use:   "holdout --train DIR|F.csv --test DIR|F.csv [--labels labels.csv]",
		Short: "Train on one set, score the sessions of another (Balabit challenge layout)",
		Long: `Holdout trains one model per user on --train and scores every session of
--test with the model of the user whose folder it lies in (the user it claims
to be): the session score is the aggregate (--aggregate) of its actions'
scores, as a window is scored in 'evaluate'. Each user's model is trained on
the user's training actions against --neg-ratio times as many drawn from the
other training users, as 'classify train' does with the same --seed. The
preset (improved by default: gbdt, 8 negatives per positive, log-odds
session score; published: rf, 1, mean) gives the classifier, --neg-ratio and
--aggregate not given.

--train and --test are each a feature CSV (mouseauth's, with user and
session columns, for the test set) or a folder of raw logs in the Balabit
layout (one folder per user holding session files, e.g. training_files/
user12/session_0041905381), whose features are extracted with --compat
(clean or reference, recorded in the models).

--labels is a labels file in the Balabit challenge format, a CSV
"filename,is_illegal": a test session under user folder U with is_illegal=1
was NOT U's (an impostor claiming U); 0 means it was U's. A filename is the
session's file name, unique in the test set, or user/session. Test sessions
without a label are left out (and counted). Without --labels every test
session is genuine for its folder's user, and the AUC needs impostors:
--cross scores every genuine session against every other test user's model
too, as a zero-effort impostor claiming that user.

It prints the global session AUC, EER, FNMR at FMR 1% and ZeroFMR (every
scored session of every seed pooled, one threshold) and the action-level AUC
and EER (every action, labelled by its session), each with its 95% bootstrap
interval over the claimed users, and each user's session AUC ("n/a" with the
reason when the user's test sessions are of one class). --out DIR writes
run.json for 'mouseauth report' (ROC and DET curves); --save-models DIR
saves the trained models. Ctrl-C keeps the seeds that finished: they are
written, marked incomplete.
` + seedsHelp + "\n" + paramsHelp(),
		Example: `  # Synthetic users, the last session of each held out:
  mouseauth dataset synth --users 6 --sessions 4 --seed 1 --out synth
  mkdir -p synth-test && for u in synth/*; do mkdir -p synth-test/${u##*/}; mv "$u/$(ls "$u" | tail -1)" synth-test/${u##*/}/; done
  mouseauth evaluate holdout --train synth --test synth-test --cross --seeds 0:9 --out runs/holdout

  # The Balabit challenge layout, with its labels file:
  mouseauth evaluate holdout --train training_files --test test_files --labels public_labels.csv
  mouseauth evaluate holdout --train training_files --test test_files --labels public_labels.csv --compat reference \
      --classifier rf --param trees=200 --param min_leaf=2 --aggregate logodds --save-models models`,
	}, "", "features", "protocol", "windows", "train-fraction")
	set := cmd.Flags()
	set.StringVar(&o.Train, "train", "", "training set: feature CSV or folder of user folders of raw logs (required)")
	set.StringVar(&o.Test, "test", "", "test set: feature CSV with sessions or folder of user folders of raw logs (required)")
	set.StringVar(&o.Labels, "labels", "", "labels file filename,is_illegal (Balabit format); default: every test session genuine")
	set.StringVar(&o.Compat, "compat", "clean", "feature conventions for raw logs: clean or reference (the published extractor's)")
	set.IntVar(&o.MaxActions, "max-actions", 0, "keep the first N actions of each training user, raw logs only (0 = all)")
	set.BoolVar(&o.Cross, "cross", false, "also score each genuine test session against every other test user's model (zero-effort impostors)")
	set.StringVar(&o.Models, "save-models", "", "folder to save the trained models to, one file per user (one seed)")
	cli.Alias(set, "models", "save-models")
	return cmd
}

// validateHoldout checks the holdout flags.
func (o *EvaluateOptions) validateHoldout(fl *evaluateFlags) error {
	if o.Train == "" || o.Test == "" {
		return cli.FlagErrorf("--train and --test are required")
	}
	if _, ok := preprocess.ParseCompat(o.Compat); !ok || o.Compat == "" {
		return cli.FlagErrorf("--compat must be clean or reference, not %q", o.Compat)
	}
	if o.MaxActions < 0 {
		return cli.FlagErrorf("--max-actions must be >= 0, not %d", o.MaxActions)
	}
	if o.Models != "" && len(o.Seeds) > 1 {
		return cli.FlagErrorf("--save-models saves the models of one seed: use --seed with it, not --seeds")
	}
	if _, err := classify.Params(o.Classifier); err != nil {
		return cli.FlagErrorf("--classifier: %v", err)
	}
	if o.Trees < 1 {
		return cli.FlagErrorf("--trees: %d must be >= 1", o.Trees)
	}
	if fl.treesSet && !classify.HasParam(o.Classifier, "trees") {
		return cli.FlagErrorf("--trees: classifier %s has no trees (--trees is for %s)", o.Classifier, strings.Join(classify.TreeClassifiers(), ", "))
	}
	if o.NegRatio < 0 {
		return cli.FlagErrorf("--neg-ratio: %v must be > 0 (or 0 for the preset's)", o.NegRatio)
	}
	if o.Aggregate != "" {
		if _, err := evaluate.ParseAggregate(o.Aggregate); err != nil {
			return cli.FlagErrorf("--aggregate: %v", err)
		}
	}
	return cli.ValidateOutput(o.Output)
}

// holdoutSet is a loaded training or test set.
type holdoutSet struct {
	table *preprocess.Table
	raw   bool // extracted from raw logs here
}

// loadHoldoutSet reads a feature CSV, or extracts the features of a folder
// of raw logs with compat (maxActions per user, 0 = all).
func (o *EvaluateOptions) loadHoldoutSet(ctx context.Context, flag, path string, compat preprocess.Compat, maxActions int) (holdoutSet, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return holdoutSet{}, fmt.Errorf("--%s: %w", flag, err)
	}
	if !fi.IsDir() {
		d, err := o.Load(path)
		return holdoutSet{table: d}, err
	}
	d := &preprocess.Table{Names: preprocess.FeatureNames[:]}
	progress, stop := cli.ProgressFunc(o.IO, flag+" sessions", "sessions")
	res, err := preprocess.ExtractAll(ctx, path, preprocess.ExtractOptions{Compat: compat, MaxActions: maxActions,
		Workers: o.Workers, Log: o.IO.ErrOut, Progress: progress, Collect: d.Append})
	stop()
	if err != nil {
		return holdoutSet{}, fmt.Errorf("--%s %s: %w", flag, path, err)
	}
	if res.Actions == 0 {
		return holdoutSet{}, fmt.Errorf("--%s %s: no actions in %d session files", flag, path, res.Files)
	}
	return holdoutSet{table: d, raw: true}, nil
}

func holdoutRun(ctx context.Context, o *EvaluateOptions) error {
	started := o.Now()
	compat, _ := preprocess.ParseCompat(o.Compat)
	var labels *evaluate.Labels
	if o.Labels != "" {
		var err error
		if labels, err = evaluate.ReadLabelsFile(o.Labels); err != nil {
			return err
		}
	}
	train, err := o.loadHoldoutSet(ctx, "train", o.Train, compat, o.MaxActions)
	if err != nil {
		return err
	}
	test, err := o.loadHoldoutSet(ctx, "test", o.Test, compat, 0)
	if err != nil {
		return err
	}
	// The tables say what made their features (raw logs: compat; a
	// mouseauth CSV: its convention column; a published file: reference).
	schema, err := evaluate.TableSchema(o.Train, train.table, "")
	if err != nil {
		return err
	}
	hd := evaluate.HoldoutData{Train: train.table, Test: test.table, TrainName: o.Train, TestName: o.Test,
		Labels: labels, Cross: o.Cross, Extractor: schema.Extractor, ExtractorVersion: schema.ExtractorVersion,
		Convention: schema.Convention, TestConvention: test.table.Convention}
	if known := func(c string) bool { return c != "" && c != classify.SchemaUnknown }; known(hd.Convention) != known(hd.TestConvention) {
		fmt.Fprintf(o.IO.ErrOut, "note: one of %s and %s does not record its feature convention: they must match (--compat %s)\n",
			o.Train, o.Test, compat)
	}
	set, err := evaluate.PrepareHoldout(hd)
	if err != nil {
		return err
	}
	if n := len(set.Unlabelled); n > 0 {
		fmt.Fprintf(o.IO.ErrOut, "note: %d test sessions have no label in %s and are left out (first: %s/%s)\n",
			n, o.Labels, set.Unlabelled[0].User, set.Unlabelled[0].Session)
	}
	e := o.experiment()
	var stop func()
	e.Progress, stop = cli.ProgressFunc(o.IO, "holdout "+o.Classifier, "users")
	run, models, err := e.RunHoldout(ctx, set)
	stop()
	interrupted := errors.Is(err, evaluate.ErrInterrupted) && run != nil
	if err != nil && !interrupted {
		return err
	}
	inputs := []string{o.Train, o.Test}
	if o.Labels != "" {
		inputs = append(inputs, o.Labels)
	}
	if run.Manifest, err = evaluate.NewManifest(o.Args, o.Version, o.Seed, started, inputs...); err != nil {
		return err
	}
	if interrupted {
		// Ctrl-C: keep the seeds that finished, marked incomplete, and exit 130.
		fmt.Fprintf(o.IO.ErrOut, "note: %s\n", run.Incomplete.Reason)
		if err := writeRunDir(o, run); err != nil {
			return err
		}
		return context.Canceled
	}
	if err := cli.RenderSections(o.IO.Out, o.Output, reports.CommandOutput(evaluate.ModeHoldout, run)); err != nil {
		return err
	}
	for _, h := range run.Holdouts[:1] {
		for _, u := range h.Users {
			if u.NA != "" {
				fmt.Fprintf(o.IO.ErrOut, "note: user %s: %s\n", u.User, u.NA)
			}
		}
	}
	if o.Models != "" {
		if err := classify.SaveDir(o.Models, models.ByUser); err != nil {
			return err
		}
		fmt.Fprintf(o.IO.ErrOut, "wrote %d models to %s\n", len(models.ByUser), o.Models)
	}
	return writeRunDir(o, run)
}
