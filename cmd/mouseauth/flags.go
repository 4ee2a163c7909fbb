package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/live/tail"
)

// Flags that several commands bind the same way. Every flag name of the
// tree means one thing, with one type: the vocabulary (vocabulary.go,
// docs/cli.md) lists them and TestFlagVocabulary holds the tree to it.

// bindSeed binds --seed: int64, default 0, in every command.
func bindSeed(fs *pflag.FlagSet, dst *int64, usage string) {
	fs.Int64Var(dst, "seed", 0, usage)
}

// markRequired marks the flags names of cmd required (cobra's
// MarkFlagRequired; usageErrors makes a missing one a usage error). A name
// that is not a flag of cmd is a programming error, which every test that
// builds the tree finds.
func markRequired(cmd *cobra.Command, names ...string) {
	for _, n := range names {
		if err := cmd.MarkFlagRequired(n); err != nil {
			panic(fmt.Sprintf("%s: %v", cmd.CommandPath(), err))
		}
	}
}

// userCounts are the --users N and --user-counts LIST flags of the
// commands that run one round per user count (replay, bench pipeline).
type userCounts struct {
	n      int
	list   string
	legacy string // a list given to --users, as before --user-counts
}

// bind binds both flags of cmd, which exclude each other; list is the
// default of --user-counts, n of --users (0: none).
func (u *userCounts) bind(cmd *cobra.Command, n int, list string) {
	u.n, u.list = n, list
	fs := cmd.Flags()
	fs.Var(&usersValue{u}, "users", "how many users: one round with this many (as --user-counts N)")
	fs.StringVar(&u.list, "user-counts", list, "user counts, list and ranges (1,4,14 or 1:14): one round each, the first N users")
	cmd.MarkFlagsMutuallyExclusive("users", "user-counts")
}

// counts returns the user counts, sorted: --users N alone, or the list.
// A list given to --users (the flag took lists before --user-counts
// existed) is taken, with a warning on w.
func (u *userCounts) counts(fs *pflag.FlagSet, w io.Writer) ([]int, error) {
	usersSet, listSet := fs.Changed("users"), fs.Changed("user-counts")
	switch {
	case u.legacy != "":
		fmt.Fprintf(w, "warning: --users %s: a list of user counts is --user-counts %[1]s now\n", u.legacy)
		return parseCountsFlag("--users", u.legacy)
	case usersSet || u.n > 0 && !listSet:
		if u.n < 1 {
			return nil, cli.FlagErrorf("--users must be at least 1, not %d", u.n)
		}
		return []int{u.n}, nil
	}
	return parseCountsFlag("--user-counts", u.list)
}

func parseCountsFlag(flag, s string) ([]int, error) {
	out, err := parseCounts(s)
	if err != nil {
		return nil, cli.FlagErrorf("%s %q: %v", flag, s, err)
	}
	return out, nil
}

// parseCounts reads user counts: "14", "1,4,14" or "1:14" (parseIntRange
// with every value at least 1), sorted.
func parseCounts(s string) ([]int, error) {
	out, err := parseIntRange(s)
	if err != nil {
		return nil, fmt.Errorf("not a count, list or range low:high: %w", err)
	}
	for _, n := range out {
		if n < 1 {
			return nil, fmt.Errorf("%d is not a positive count", n)
		}
	}
	sort.Ints(out)
	return out, nil
}

// usersValue is --users: an int; a list or range is kept for counts.
type usersValue struct{ u *userCounts }

func (v *usersValue) String() string { return strconv.Itoa(v.u.n) }
func (v *usersValue) Type() string   { return "int" }
func (v *usersValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err == nil {
		v.u.n, v.u.legacy = n, ""
		return nil
	}
	if _, lerr := parseCounts(s); lerr != nil {
		return fmt.Errorf("want a count (%v)", err)
	}
	v.u.legacy = s
	return nil
}

func tailTopics() []string {
	var out []string
	for _, s := range tail.Sources() {
		out = append(out, string(s))
	}
	return out
}

// completeFlags registers the vocabulary's completion for every flag of c
// and its subcommands that has one and none yet.
func completeFlags(c *cobra.Command) {
	c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
		w, ok := vocabulary[f.Name]
		if !ok || f.Hidden {
			return
		}
		if _, done := c.GetFlagCompletionFunc(f.Name); done {
			return
		}
		switch {
		case w.Complete != nil:
			cli.CompleteFunc(c, f.Name, w.Complete)
		case w.List:
			cli.CompleteList(c, f.Name, w.Values...)
		case w.Values != nil:
			cli.CompleteValues(c, f.Name, w.Values...)
		case w.Path != "":
			cli.MarkPath(c, f.Name, w.Path, w.Exts...)
		}
	})
	for _, sub := range c.Commands() {
		completeFlags(sub)
	}
}

// completeCert completes the names of the certificates of --pki-dir (or
// of $MOUSEAUTH_PKI_DIR, or STATE/pki).
func completeCert(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	dir := ""
	if f := cmd.Flags().Lookup("pki-dir"); f != nil {
		dir = f.Value.String()
	}
	if dir == "" {
		dir = os.Getenv(envPKIDir)
	}
	if f := cmd.Flags().Lookup("state"); dir == "" && f != nil {
		dir = filepath.Join(f.Value.String(), "pki")
	}
	crts, _ := filepath.Glob(filepath.Join(dir, "issued", "*.crt"))
	var out []cobra.Completion
	for _, c := range crts {
		if n := strings.TrimSuffix(filepath.Base(c), ".crt"); strings.HasPrefix(n, toComplete) {
			out = append(out, n)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeParam completes --param NAME= with the parameters of the
// --classifier given (default rf), each with its help.
func completeParam(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	name := "rf"
	if f := cmd.Flags().Lookup("classifier"); f != nil {
		name = f.Value.String()
	}
	specs, err := classify.Params(name)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, s := range specs {
		if strings.HasPrefix(s.Name+"=", toComplete) && !slices.Contains(out, s.Name+"=") {
			out = append(out, cobra.CompletionWithDesc(s.Name+"=", s.Help))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}
