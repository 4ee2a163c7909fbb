package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Alias adds old as a hidden, deprecated name of the flag name of fs, for
// scripts written before a rename: it sets the same value (and marks name
// as changed, so cmd.Flags().Changed(name) sees it), and pflag prints
// "Flag --old has been deprecated, use --name instead" when it is used.
// The root command sends that warning to stderr (see [WarnOn]).
//
// It panics when name is not a flag of fs or old is one: a programming
// error that every test building the command tree finds.
func Alias(fs *pflag.FlagSet, old, name string) {
	f := fs.Lookup(name)
	if f == nil {
		panic(fmt.Sprintf("cli.Alias: no flag --%s", name))
	}
	if fs.Lookup(old) != nil {
		panic(fmt.Sprintf("cli.Alias: --%s exists already", old))
	}
	fs.AddFlag(&pflag.Flag{Name: old, Usage: "deprecated name of --" + name, Value: aliasValue{f.Value, f},
		DefValue: f.DefValue, NoOptDefVal: f.NoOptDefVal})
	if err := fs.MarkDeprecated(old, "use --"+name+" instead"); err != nil {
		panic(err)
	}
}

// aliasValue sets the value of target and marks target changed.
type aliasValue struct {
	pflag.Value
	target *pflag.Flag
}

func (a aliasValue) Set(s string) error {
	if err := a.Value.Set(s); err != nil {
		return err
	}
	a.target.Changed = true
	return nil
}

// AliasOf returns the flag name the deprecated flag f stands for, or "".
func AliasOf(f *pflag.Flag) string {
	if a, ok := f.Value.(aliasValue); ok && f.Deprecated != "" {
		return a.target.Name
	}
	return ""
}

// WarnOn sends the flag warnings of c and its subcommands (the deprecated
// names of [Alias]) to w. Cobra prints them to the command's output,
// stdout, where they would corrupt -o json.
func WarnOn(c *cobra.Command, w interface{ Write([]byte) (int, error) }) {
	c.Flags().SetOutput(w)
	for _, sub := range c.Commands() {
		WarnOn(sub, w)
	}
}

// CompleteValues makes the shell complete the flag's value from values
// (each optionally "value\tdescription"), without file names.
func CompleteValues(cmd *cobra.Command, flag string, values ...string) {
	register(cmd, flag, func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		for _, v := range values {
			if name, _, _ := strings.Cut(v, "\t"); strings.HasPrefix(name, toComplete) {
				out = append(out, v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
}

// CompleteList makes the shell complete a comma-separated list flag: the
// item after the last comma completes from values not already given.
func CompleteList(cmd *cobra.Command, flag string, values ...string) {
	register(cmd, flag, func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return ListCompletions(values, toComplete), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	})
}

// ListCompletions returns the completions of the last item of a
// comma-separated list typed so far (toComplete), each the whole list.
func ListCompletions(values []string, toComplete string) []cobra.Completion {
	i := strings.LastIndexByte(toComplete, ',')
	done, last := toComplete[:i+1], toComplete[i+1:]
	given := map[string]bool{}
	for _, v := range strings.Split(done, ",") {
		given[v] = true
	}
	var out []cobra.Completion
	for _, v := range values {
		if strings.HasPrefix(v, last) && !given[v] {
			out = append(out, done+v)
		}
	}
	return out
}

// CompleteFunc registers f to complete the flag's value.
func CompleteFunc(cmd *cobra.Command, flag string, f cobra.CompletionFunc) { register(cmd, flag, f) }

func register(cmd *cobra.Command, flag string, f cobra.CompletionFunc) {
	if err := cmd.RegisterFlagCompletionFunc(flag, f); err != nil {
		panic(fmt.Sprintf("%s: %v", cmd.CommandPath(), err))
	}
}

// Path kinds of [MarkPath].
const (
	PathFile = "file" // a file (directories complete too, to reach it)
	PathDir  = "dir"  // a folder
)

// MarkPath makes the shell complete the flag's value as a path: files
// (with one of exts when given, e.g. "csv") or folders.
func MarkPath(cmd *cobra.Command, flag, kind string, exts ...string) {
	var err error
	switch kind {
	case PathDir:
		err = cmd.MarkFlagDirname(flag)
	default:
		err = cmd.MarkFlagFilename(flag, exts...)
	}
	if err != nil {
		panic(fmt.Sprintf("%s: %v", cmd.CommandPath(), err))
	}
}
