package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/decide"
	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/preprocess"
	"github.com/mouseauth/mouseauth/reports"
)

// Modes of the commands that judge sequences of actions.
const (
	modeContinuous = "continuous"
	modeAttack     = "attack"
)

// JudgeOptions are the options of `evaluate continuous` and `evaluate
// attack`: the sequences of a feature file or raw logs judged action by
// action by deployments (a preset's model and a decision policy).
type JudgeOptions struct {
	IO      *cli.IOStreams
	Now     func() time.Time
	Args    []string
	Version string

	Mode           string // modeContinuous or modeAttack
	Features, Data string // one of them
	Compat         string // raw logs: clean or reference
	MaxActions     int    // sessions split: training actions per user
	Split          string // "" = by sessions when the file has them
	Deployments    []string
	Policy         string // --policy: one more deployment, "policy"
	Seed           int64
	Seeds          []int64
	Trees          int
	TrainFraction  float64
	SessionActions int
	TestSessions   int
	Attacks        []string
	Probes         int
	AttackSessions int
	Continuous     bool // attack: also the continuous figures, on the same models
	NoGates        bool // --no-gates: vectors reach the model unchecked
	Workers        int
	Out, Output    string

	Load          func(path string) (*preprocess.Table, error)
	NewClassifier func(name string, params map[string]any) (classify.Classifier, error)
}

// judgeFlags are the list flags, parsed in validate.
type judgeFlags struct {
	deployments, seeds, attacks string
	seedSet                     bool
}

func judgeCommand(f *cli.Factory, runF func(context.Context, *JudgeOptions) error, mode string, cmd *cobra.Command) *cobra.Command {
	o := &JudgeOptions{IO: f.IO, Now: f.Now, Args: f.Args, Version: f.Version, Mode: mode, Load: loadFeatures, NewClassifier: classify.New}
	fl := &judgeFlags{}
	cmd.Args = cobra.NoArgs
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		fl.seedSet = cmd.Flags().Changed("seed")
		if err := o.validate(fl); err != nil {
			return err
		}
		if runF != nil {
			return runF(cmd.Context(), o)
		}
		return judgeRun(cmd.Context(), o)
	}
	set := cmd.Flags()
	set.StringVar(&o.Features, "features", "", "feature CSV (mouseauth's, with sessions, or a published one)")
	set.StringVar(&o.Data, "data", "", "raw logs: a folder of user folders of session files (extracted with --compat)")
	cmd.MarkFlagsMutuallyExclusive("features", "data")
	cmd.MarkFlagsOneRequired("features", "data")
	set.StringVar(&o.Compat, "compat", "clean", "feature conventions for --data: clean or reference (the published extractor's)")
	set.IntVar(&o.MaxActions, "max-actions", 0, "split by sessions: the first N training actions of each user (0 = all)")
	set.StringVar(&o.Split, "split", "", "chronological (first --train-fraction trains) or sessions (last --test-sessions test); empty = sessions when the file has them")
	defaults := strings.Join(evaluate.DeploymentNames, ",")
	if mode == modeAttack {
		defaults = evaluate.DeployOld + "," + evaluate.DeploySequential
	}
	set.StringVar(&fl.deployments, "deployments", defaults, "deployments to judge with: "+strings.Join(evaluate.DeploymentNames, ", "))
	set.StringVar(&o.Policy, "policy", "", `one more deployment, "policy": the improved preset deciding by this policy string (decide/1 ...)`)
	bindSeed(set, &o.Seed, "random seed (same seed, same numbers)")
	set.StringVar(&fl.seeds, "seeds", "", "run once per seed, list and ranges (e.g. 0:9), and report mean ± sd over seeds; not with --seed")
	set.IntVar(&o.Trees, "trees", 100, "trees of the forest classifiers (the old deployment's rf)")
	set.Float64Var(&o.TrainFraction, "train-fraction", 2.0/3, "chronological split: each user's share of actions that trains")
	set.IntVar(&o.TestSessions, "test-sessions", 2, "split by sessions: each user's last N sessions test")
	if mode == modeAttack {
		set.IntVar(&o.SessionActions, "session-actions", 20, "actions per attack session (each a new login)")
		set.StringVar(&fl.attacks, "attacks", strings.Join(evaluate.AttackNames, ","), "attacks to run: "+strings.Join(evaluate.AttackNames, ", "))
		set.IntVar(&o.Probes, "probes", 300, "hill-climbing: actions the attacker may send to craft a vector")
		set.IntVar(&o.AttackSessions, "attack-sessions", 10, "sessions per attack and victim")
		set.BoolVar(&o.Continuous, "continuous", false, "also judge the continuous sequences, as evaluate continuous does, on the same models")
	} else {
		set.IntVar(&o.SessionActions, "session-actions", 0, "chronological split: cut every sequence into sessions of N actions, each a new login (0 = one)")
	}
	set.BoolVar(&o.NoGates, "no-gates", false, "judge without the models' gates (physical bounds, the user's range): every vector reaches the model, as before the guard")
	set.IntVar(&o.Workers, "workers", 0, "users trained at once (0 = GOMAXPROCS; results do not depend on it)")
	set.StringVar(&o.Out, "out", "", "directory to write run.json and the tidy CSVs to")
	cli.AddOutputFlag(cmd, &o.Output)
	return cmd
}

// validate parses and checks the flags.
func (o *JudgeOptions) validate(fl *judgeFlags) error {
	if fl.seeds != "" {
		if fl.seedSet {
			return cli.FlagErrorf("--seed and --seeds: give one (--seed N for one seed, --seeds 0:9 for several)")
		}
		seeds, err := parseIntRange(fl.seeds)
		if err != nil {
			return cli.FlagErrorf("--seeds: %v", err)
		}
		for _, s := range seeds {
			o.Seeds = append(o.Seeds, int64(s))
		}
		o.Seed = o.Seeds[0]
	} else {
		o.Seeds = []int64{o.Seed}
	}
	o.Deployments = splitList(fl.deployments)
	for _, d := range o.Deployments {
		if _, err := evaluate.NamedDeployment(d); err != nil {
			return cli.FlagErrorf("--deployments: %v", err)
		}
	}
	if o.Policy != "" {
		if _, err := decide.ParsePolicy(o.Policy); err != nil {
			return cli.FlagErrorf("--policy: %v", err)
		}
	}
	if len(o.Deployments) == 0 && o.Policy == "" {
		return cli.FlagErrorf("--deployments: name at least one (or give --policy)")
	}
	if o.Data != "" {
		if _, ok := preprocess.ParseCompat(o.Compat); !ok || o.Compat == "" {
			return cli.FlagErrorf("--compat must be clean or reference, not %q", o.Compat)
		}
	}
	if o.Split != "" && o.Split != evaluate.SplitChronological && o.Split != evaluate.SplitSessions {
		return cli.FlagErrorf("--split must be %s or %s, not %q", evaluate.SplitChronological, evaluate.SplitSessions, o.Split)
	}
	switch {
	case o.Trees < 1:
		return cli.FlagErrorf("--trees: %d must be >= 1", o.Trees)
	case o.TrainFraction <= 0 || o.TrainFraction >= 1:
		return cli.FlagErrorf("--train-fraction: %v must be in (0, 1)", o.TrainFraction)
	case o.TestSessions < 1:
		return cli.FlagErrorf("--test-sessions: %d must be >= 1", o.TestSessions)
	case o.MaxActions < 0:
		return cli.FlagErrorf("--max-actions: %d must be >= 0", o.MaxActions)
	case o.SessionActions < 0 || o.Mode == modeAttack && o.SessionActions < 1:
		return cli.FlagErrorf("--session-actions: %d must be >= 1 (attack) or >= 0", o.SessionActions)
	}
	if o.Mode == modeAttack {
		o.Attacks = splitList(fl.attacks)
		if len(o.Attacks) == 0 {
			return cli.FlagErrorf("--attacks: name at least one of %s", strings.Join(evaluate.AttackNames, ", "))
		}
		for _, a := range o.Attacks {
			if !slices.Contains(evaluate.AttackNames, a) {
				return cli.FlagErrorf("--attacks: unknown attack %q (want %s)", a, strings.Join(evaluate.AttackNames, ", "))
			}
		}
		if o.Probes < 1 || o.AttackSessions < 1 {
			return cli.FlagErrorf("--probes %d, --attack-sessions %d: each must be >= 1", o.Probes, o.AttackSessions)
		}
	}
	return cli.ValidateOutput(o.Output)
}

// deployments returns the named deployments and the --policy one.
func (o *JudgeOptions) deployments() ([]evaluate.Deployment, error) {
	var out []evaluate.Deployment
	for _, n := range o.Deployments {
		d, err := evaluate.NamedDeployment(n)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if o.Policy != "" {
		p, err := decide.ParsePolicy(o.Policy)
		if err != nil {
			return nil, err
		}
		d, err := evaluate.PolicyDeployment("policy", p)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// load reads --features, or extracts the features of --data.
func (o *JudgeOptions) load(ctx context.Context) (*preprocess.Table, string, error) {
	if o.Features != "" {
		d, err := o.Load(o.Features)
		if err != nil {
			return nil, "", err
		}
		if err := d.Validate(); err != nil {
			return nil, "", fmt.Errorf("%s: %w", o.Features, err)
		}
		return d, o.Features, nil
	}
	if fi, err := os.Stat(o.Data); err != nil {
		return nil, "", fmt.Errorf("--data: %w", err)
	} else if !fi.IsDir() {
		return nil, "", fmt.Errorf("--data %s: not a folder (give a folder of user folders of session files)", o.Data)
	}
	compat, _ := preprocess.ParseCompat(o.Compat)
	d := &preprocess.Table{Names: preprocess.FeatureNames[:]}
	progress, stop := cli.ProgressFunc(o.IO, "sessions", "sessions")
	res, err := preprocess.ExtractAll(ctx, o.Data, preprocess.ExtractOptions{Compat: compat, Workers: o.Workers,
		Log: o.IO.ErrOut, Progress: progress, Collect: d.Append})
	stop()
	if err != nil {
		return nil, "", fmt.Errorf("--data %s: %w", o.Data, err)
	}
	if res.Actions == 0 {
		return nil, "", fmt.Errorf("--data %s: no actions in %d session files", o.Data, res.Files)
	}
	return d, o.Data, nil
}

func judgeRun(ctx context.Context, o *JudgeOptions) error {
	started := o.Now()
	d, path, err := o.load(ctx)
	if err != nil {
		return err
	}
	deps, err := o.deployments()
	if err != nil {
		return err
	}
	co := evaluate.ContinuousOptions{Deployments: deps, Seeds: o.Seeds, Split: o.Split, Trees: o.Trees,
		TrainFraction: o.TrainFraction, SessionActions: o.SessionActions, TestSessions: o.TestSessions,
		MaxTrain: o.MaxActions, Workers: o.Workers, NewClassifier: o.NewClassifier}
	if !o.NoGates {
		// The gates the deployed models apply (classify.SavedModel.Check).
		co.Gates = evaluate.ModelGates
	}
	var stop func()
	co.Progress, stop = cli.ProgressFunc(o.IO, fmt.Sprintf("%s, %d seed(s)", o.Mode, len(o.Seeds)), "users")
	run := &evaluate.Run{}
	var secs reports.Sections
	var skipped []evaluate.Skip
	if o.Mode == modeAttack {
		r, err := evaluate.EvaluateAttacks(ctx, d, filepath.Base(path), evaluate.AttackOptions{ContinuousOptions: co,
			Attacks: o.Attacks, Length: o.SessionActions, Sessions: o.AttackSessions, Probes: o.Probes, Continuous: o.Continuous})
		stop()
		if err != nil {
			return err
		}
		run.Attacks, secs, skipped = []evaluate.AttackResult{*r}, reports.AttackOutput(r), r.Skipped
		if c := r.Continuous; c != nil {
			run.Continuous = []evaluate.ContinuousResult{*c}
			for _, s := range reports.ContinuousOutput(c) {
				s.Name = "continuous_" + s.Name
				secs = append(secs, s)
			}
			fmt.Fprintf(o.IO.ErrOut, "recommended policy: %s\n", c.Recommended)
		}
		if !r.Gates {
			fmt.Fprintln(o.IO.ErrOut, "note: --no-gates: no physical bounds or user's range checked; every vector reaches the model")
		}
	} else {
		r, err := evaluate.EvaluateContinuous(ctx, d, filepath.Base(path), co)
		stop()
		if err != nil {
			return err
		}
		run.Continuous, secs, skipped = []evaluate.ContinuousResult{*r}, reports.ContinuousOutput(r), r.Skipped
		fmt.Fprintf(o.IO.ErrOut, "recommended policy: %s\n", r.Recommended)
	}
	for _, s := range skipped {
		fmt.Fprintf(o.IO.ErrOut, "skipped user %s: %s\n", s.User, s.Reason)
	}
	run.Seeds = o.Seeds
	if run.Manifest, err = evaluate.NewManifest(o.Args, o.Version, o.Seed, started, path); err != nil {
		return err
	}
	if err := cli.RenderSections(o.IO.Out, o.Output, secs); err != nil {
		return err
	}
	if o.Out == "" {
		return nil
	}
	written, err := reports.WriteRun(o.Out, run)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "wrote %s\n", written)
	for _, s := range secs {
		name, _ := strings.CutPrefix(s.Name, "continuous_")
		if name != "summary" && name != "users" {
			continue
		}
		mode := o.Mode
		if name != s.Name {
			mode = modeContinuous
		}
		p := filepath.Join(o.Out, mode+"_"+name+".csv")
		if err := writeCSVFile(p, s.Table); err != nil {
			return err
		}
		fmt.Fprintf(o.IO.ErrOut, "wrote %s\n", p)
	}
	return nil
}

// writeCSVFile writes t to path as CSV.
func writeCSVFile(path string, t *reports.Table) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := t.WriteCSV(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
