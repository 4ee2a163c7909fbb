package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// NewCmdEvaluate is a placeholder until its issue lands.
func NewCmdEvaluate(f *cli.Factory) *cobra.Command {
	return &cobra.Command{Use: "evaluate", Short: "Evaluate classifiers", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("evaluate: not built yet") }}
}
