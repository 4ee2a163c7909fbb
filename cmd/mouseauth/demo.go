package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/preprocess"
)

// DemoOptions are the options of `mouseauth demo`.
type DemoOptions struct {
	IO       *cli.IOStreams
	Factory  *cli.Factory
	Dir      string // output folder (--out); a new temporary folder when empty
	Users    int
	Sessions int
	Actions  int
	Seed     int64
	// Output: table prints each stage's results and a summary of where
	// the outputs are; csv and json print only the summary (stage,
	// output) on stdout, and the stages' results go to stderr.
	Output string
}

// NewCmdDemo builds `mouseauth demo`.
func NewCmdDemo(f *cli.Factory) *cobra.Command { return newCmdDemo(f, nil) }

func newCmdDemo(f *cli.Factory, runF func(context.Context, *DemoOptions) error) *cobra.Command {
	opts := &DemoOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run every stage on synthetic data, embedded: no servers, no downloads",
		Long: `Demo synthesizes a small data set and runs every stage on it, each through
the same code as its own command:

  1. dataset synth          synthetic DFL logs         DIR/logs
  2. dataset clean          cleaned logs, drop counts  DIR/cleaned
  3. preprocess features    the 39 features per action DIR/features.csv
  4. classify train         one model per user         DIR/models
  5. evaluate threshold     reference protocol, ROC,   DIR/run/run.json
                            thresholds by target FMR
  6. report                 plots, tables, report.html DIR/run/report.html
  7. replay                 the live pipeline embedded DIR/live
                            (Kafka with mTLS, database,
                            scoring service): an
                            impostor is caught

It prints where each output is (with --output csv or json, only that, as a
table of stage and output; the stages' results then go to stderr).`,
		Example: `  mouseauth demo
  mouseauth demo --out demo-out --users 12 --sessions 4 --seed 7
  mouseauth demo -o json 2>/dev/null | jq -r '.[] | select(.stage == "report") | .output'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Users < 2 || opts.Sessions < 2 || opts.Actions < 20 {
				return cli.FlagErrorf("the demo needs --users >= 2, --sessions >= 2 and --actions >= 20")
			}
			if err := cli.ValidateOutput(opts.Output); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return demoRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Dir, "out", "", "output folder (default: a new temporary folder)")
	cli.Alias(cmd.Flags(), "dir", "out")
	cmd.Flags().IntVar(&opts.Users, "users", 8, "synthetic users")
	cmd.Flags().IntVar(&opts.Sessions, "sessions", 3, "sessions per user")
	cmd.Flags().IntVar(&opts.Actions, "actions", 250, "pointing actions per session")
	bindSeed(cmd.Flags(), &opts.Seed, "random seed: the same seed gives the same results")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// demoStage is one step of the demo.
type demoStage struct {
	title string
	out   string // what it wrote, printed at the end
	run   func(ctx context.Context) error
}

func demoRun(ctx context.Context, opts *DemoOptions) error {
	dir := opts.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "mouseauth-demo-")
		if err != nil {
			return err
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if opts.Output == cli.FormatCSV || opts.Output == cli.FormatJSON {
		// Stdout holds the summary alone; the stages write to stderr.
		stages := *opts.IO
		stages.Out = opts.IO.ErrOut
		f := *opts.Factory
		f.IO = &stages
		o := *opts
		o.IO, o.Factory = &stages, &f
		return demoStages(ctx, &o, dir, opts.IO)
	}
	return demoStages(ctx, opts, dir, opts.IO)
}

// demoStages runs the stages with opts.IO and writes the summary to
// summary's Out in opts.Output.
func demoStages(ctx context.Context, opts *DemoOptions, dir string, summary *cli.IOStreams) error {
	ios := opts.IO
	logs := filepath.Join(dir, "logs")
	cleaned := filepath.Join(dir, "cleaned")
	features := filepath.Join(dir, "features.csv")

	stages := []demoStage{
		{"synthesize logs", logs, func(ctx context.Context) error {
			o := &SynthOptions{IO: ios, Out: logs, Force: true}
			o.Users, o.Sessions, o.Actions, o.Seed = opts.Users, opts.Sessions, opts.Actions, uint64(opts.Seed)
			return synthRun(ctx, o)
		}},
		{"clean logs", cleaned, func(ctx context.Context) error {
			return cleanRun(ctx, &CleanOptions{IO: ios, Create: createInDir, Data: logs, Out: cleaned,
				Output: cli.FormatTable, MaxListed: 5})
		}},
		{"extract features", features, func(ctx context.Context) error {
			return featuresRun(ctx, &FeaturesOptions{IO: ios, Create: createFile, Data: cleaned, Out: features,
				Compat: preprocess.Clean, Output: cli.FormatTable})
		}},
	}
	stages = append(stages, demoLaterStages(opts, dir, features)...)

	for i, st := range stages {
		if err := ctx.Err(); err != nil {
			return err
		}
		fmt.Fprintf(ios.Out, "\n== %d/%d %s\n", i+1, len(stages), st.title)
		if err := st.run(ctx); err != nil {
			return fmt.Errorf("demo stage %q: %w", st.title, err)
		}
	}
	if opts.Output == cli.FormatCSV || opts.Output == cli.FormatJSON {
		t := &cli.Table{Columns: []string{"stage", "output"}}
		for _, st := range stages {
			t.Add(st.title, st.out)
		}
		return cli.Render(summary.Out, opts.Output, t)
	}
	fmt.Fprintf(summary.Out, "\nDemo outputs in %s:\n", dir)
	for _, st := range stages {
		fmt.Fprintf(summary.Out, "  %-20s %s\n", st.title, st.out)
	}
	return nil
}

// demoLaterStages are the stages after feature extraction: evaluation and
// the report. They run the commands themselves, with the arguments a user
// would type, so defaults and validation are the commands' own.
func demoLaterStages(opts *DemoOptions, dir, features string) []demoStage {
	run := filepath.Join(dir, "run")
	seed := fmt.Sprint(opts.Seed)
	models := filepath.Join(dir, "models")
	return []demoStage{
		{"train models", models, func(ctx context.Context) error {
			return runCommand(ctx, opts.Factory, NewCmdClassify, "classify", "train", "--features", features,
				"--seed", seed, "--out", models)
		}},
		{"evaluate and alarms", filepath.Join(run, "run.json"), func(ctx context.Context) error {
			return runCommand(ctx, opts.Factory, NewCmdEvaluate, "evaluate", "threshold", "--features", features,
				"--windows", "1,5,10", "--seed", seed, "--out", run)
		}},
		{"report", filepath.Join(run, "report.html"), func(ctx context.Context) error {
			return runCommand(ctx, opts.Factory, NewCmdReport, "report", "--run", run)
		}},
		{"live replay", filepath.Join(dir, "live"), func(ctx context.Context) error {
			// The live pipeline, embedded: broker with mTLS, database,
			// scoring service; two impostor sessions must raise alerts.
			return runCommand(ctx, opts.Factory, NewCmdReplay, "replay", "--state", filepath.Join(dir, "live"),
				"--data", filepath.Join(dir, "logs"), "--users", fmt.Sprint(min(opts.Users, 4)), "--max-actions", "60",
				"--impostors", "2", "--interval", "10ms", "--seed", seed)
		}},
	}
}

// runCommand runs a command of the tree with args, as if typed after
// "mouseauth": its own flag defaults and validation apply, and the manifest
// records the equivalent command line.
func runCommand(ctx context.Context, f *cli.Factory, newCmd func(*cli.Factory) *cobra.Command, args ...string) error {
	sub := *f
	sub.Args = append([]string{"mouseauth"}, args...)
	cmd := newCmd(&sub)
	cmd.SetArgs(args[1:])
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd.ExecuteContext(ctx)
}
