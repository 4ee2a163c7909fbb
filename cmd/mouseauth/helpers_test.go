package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// execArgs runs cmd with the space-separated args on ios and returns its
// error; the caller's runF captures the options. Flag parse errors are
// usage errors, and so are missing required flags and flag group
// violations, as under the root command.
func execArgs(ios *cli.IOStreams, cmd *cobra.Command, args string) error {
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cli.FlagError{Err: err} })
	usageErrors(cmd)
	cmd.SetArgs(strings.Fields(args))
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	return cmd.Execute()
}

// wantUsageError fails unless err is a usage error (exit code 2) whose
// message contains want.
func wantUsageError(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) || cli.ExitCode(err) != cli.ExitUsage {
		t.Fatalf("err = %v, want usage error %q", err, want)
	}
}
