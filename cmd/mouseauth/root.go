package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// NewCmdRoot builds the command tree.
func NewCmdRoot(f *cli.Factory) *cobra.Command {
	build := f.BuildInfo()
	root := &cobra.Command{
		Use:   "mouseauth",
		Short: "Continuous two-factor authentication by mouse dynamics",
		Long: `mouseauth reads mouse logs, segments them into actions, extracts features,
trains per-user models, evaluates them, and runs a live scoring pipeline.

Start with 'mouseauth demo': it runs every stage on synthetic data, embedded,
with no servers and no downloads.`,
		Example: `  mouseauth demo
  mouseauth dataset clean --data ../shared/data/balabit/training_files --out cleaned
  mouseauth preprocess features --data cleaned --out features.csv
  source <(mouseauth completion bash)     # complete commands, flags and their values`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// A mistyped command is answered with the commands it is close to.
		SuggestionsMinimumDistance: 2,
		Version:                    build.Short(),
		RunE:                       func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	// --version prints what 'mouseauth version' prints. The flag is ours so
	// that cobra does not add its own with the shorthand -v: -v means
	// version nowhere (many tools read it as verbose).
	root.Flags().Bool("version", false, "print the version, commit and Go version (as 'mouseauth version')")
	root.Annotations = map[string]string{"versionText": build.Text()}
	root.SetVersionTemplate(`{{index .Annotations "versionText"}}`)
	root.PersistentFlags().BoolVarP(&f.IO.Quiet, "quiet", "q", false, "no progress output on stderr")
	// Flag parse errors are usage errors (exit code 2).
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cli.FlagError{Err: err} })

	root.AddGroup(&cobra.Group{ID: "research", Title: "Research pipeline:"},
		&cobra.Group{ID: "deploy", Title: "Deployment:"})
	for _, c := range []*cobra.Command{
		NewCmdDemo(f), NewCmdDataset(f), NewCmdPreprocess(f), NewCmdClassify(f),
		NewCmdEvaluate(f), NewCmdReport(f),
	} {
		c.GroupID = "research"
		root.AddCommand(c)
	}
	live := NewCmdLive(f)
	live.AddCommand(newCmdLiveTail(f, nil))
	for _, c := range []*cobra.Command{NewCmdPKI(f), live, NewCmdReplay(f), NewCmdBench(f)} {
		c.GroupID = "deploy"
		root.AddCommand(c)
	}
	root.AddCommand(NewCmdVersion(f))
	usageErrors(root)
	completeFlags(root)
	// Deprecated flag names warn on stderr, not amid the results.
	cli.WarnOn(root, f.IO.ErrOut)
	return root
}

// usageErrors makes argument-count errors and unknown subcommands usage
// errors (exit code 2) throughout the tree; an unknown subcommand gets the
// names it may be a typo of (cobra's suggestions, edit distance 2 or a
// prefix).
func usageErrors(c *cobra.Command) {
	args := c.Args
	c.Args = func(cmd *cobra.Command, a []string) error {
		var err error
		switch {
		case args != nil:
			err = args(cmd, a)
		case cmd.HasSubCommands() && len(a) > 0:
			err = fmt.Errorf("unknown command %q for %q", a[0], cmd.CommandPath())
		}
		if err == nil {
			return nil
		}
		if cmd.HasSubCommands() && len(a) > 0 {
			if s := cmd.SuggestionsFor(a[0]); len(s) > 0 {
				err = fmt.Errorf("%w; did you mean %s?", err, strings.Join(s, " or "))
			}
		}
		return &cli.FlagError{Err: err}
	}
	for _, sub := range c.Commands() {
		usageErrors(sub)
	}
}

// group returns a command that only holds subcommands; run without one, it
// prints its help.
func group(use, short, example string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	c.AddCommand(subs...)
	return c
}
