package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// TestEveryCommandHasHelpAndExample walks the command tree: every visible
// command has a short description and an example that names it.
func TestEveryCommandHasHelpAndExample(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := cli.TestIO()
	root := newCmdRoot(&cli.Factory{IO: ios, Version: "test"})
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" || c.HasParent() && c.Parent().Name() == "completion" {
			return
		}
		n++
		if c.Short == "" {
			t.Errorf("%s: no short description", c.CommandPath())
		}
		if c.Example == "" {
			t.Errorf("%s: no example", c.CommandPath())
		} else if !strings.Contains(c.Example, c.Name()) {
			t.Errorf("%s: example does not use the command:\n%s", c.CommandPath(), c.Example)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if n < 20 {
		t.Errorf("walked %d commands, want the whole tree", n)
	}
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args string
		want int
	}{
		{"bogus", cli.ExitUsage},
		{"dataset bogus", cli.ExitUsage},
		{"--bogus", cli.ExitUsage},
		{"dataset clean --data x", cli.ExitUsage},                             // required flag missing
		{"dataset clean --data x --out", cli.ExitUsage},                       // flag without its value
		{"classify score --model m --features f --data d", cli.ExitUsage},     // mutually exclusive
		{"classify score --model m", cli.ExitUsage},                           // one of a group required
		{"pki config mariadb --pki-dir d --cert c --client s", cli.ExitUsage}, // required together
		{"dataset clean --data /nonexistent --out " + t.TempDir(), cli.ExitError},
		{"--help", cli.ExitOK},
	} {
		ios, _, _, _ := cli.TestIO()
		root := newCmdRoot(&cli.Factory{IO: ios, Version: "test"})
		root.SetArgs(strings.Fields(tc.args))
		if got := cli.ExitCode(root.Execute()); got != tc.want {
			t.Errorf("mouseauth %s: exit %d, want %d", tc.args, got, tc.want)
		}
	}
}

// TestRequiredFlagNotEmpty: a required flag given an empty value is a
// usage error naming the flag, as a missing one is.
func TestRequiredFlagNotEmpty(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := cli.TestIO()
	root := newCmdRoot(&cli.Factory{IO: ios, Version: "test"})
	root.SetArgs([]string{"dataset", "clean", "--data", "x", "--out", ""})
	wantUsageError(t, root.Execute(), "--out is required and cannot be empty")
}
