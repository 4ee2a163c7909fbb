package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// newCmdRoot builds the command tree.
func newCmdRoot(f *cli.Factory) *cobra.Command {
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
		newCmdDemo(f, nil), newCmdDataset(f), newCmdPreprocess(f), newCmdClassify(f),
		newCmdEvaluate(f, nil), newCmdReport(f, nil),
	} {
		c.GroupID = "research"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newCmdPKI(f, nil), newCmdLive(f), newCmdReplay(f, nil), newCmdBench(f)} {
		c.GroupID = "deploy"
		root.AddCommand(c)
	}
	root.AddCommand(newCmdVersion(f, nil))
	usageErrors(root)
	completeFlags(root)
	// Deprecated flag names warn on stderr, not amid the results.
	cli.WarnOn(root, f.IO.ErrOut)
	return root
}

// usageErrors makes usage errors (exit code 2) throughout the tree of
// argument-count errors, unknown subcommands and what cobra's flag
// constraints (MarkFlagRequired, MarkFlagsMutuallyExclusive,
// MarkFlagsOneRequired, MarkFlagsRequiredTogether) refuse: cobra returns
// those as plain errors, after the argument check this wraps. A required
// flag given an empty value (--out "") is refused too. An unknown
// subcommand gets the names it may be a typo of (cobra's suggestions, edit
// distance 2 or a prefix).
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
		if err != nil {
			if cmd.HasSubCommands() && len(a) > 0 {
				if s := cmd.SuggestionsFor(a[0]); len(s) > 0 {
					err = fmt.Errorf("%w; did you mean %s?", err, strings.Join(s, " or "))
				}
			}
			return &cli.FlagError{Err: err}
		}
		if err := cmd.ValidateRequiredFlags(); err != nil {
			return &cli.FlagError{Err: err}
		}
		if err := requiredNotEmpty(cmd); err != nil {
			return err
		}
		if err := cmd.ValidateFlagGroups(); err != nil {
			return &cli.FlagError{Err: err}
		}
		return nil
	}
	for _, sub := range c.Commands() {
		usageErrors(sub)
	}
}

// requiredNotEmpty refuses an empty value of a required string flag:
// cobra counts --out "" as given.
func requiredNotEmpty(cmd *cobra.Command) error {
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if req := f.Annotations[cobra.BashCompOneRequiredFlag]; err == nil && len(req) > 0 && req[0] == "true" &&
			f.Value.Type() == "string" && f.Value.String() == "" {
			err = cli.FlagErrorf("--%s is required and cannot be empty", f.Name)
		}
	})
	return err
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
