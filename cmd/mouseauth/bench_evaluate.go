package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// newCmdBenchEvaluate is a placeholder; its owner replaces this file.
func newCmdBenchEvaluate(f *cli.Factory) *cobra.Command {
	return &cobra.Command{Use: "evaluate", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("bench evaluate: not built yet") }}
}
