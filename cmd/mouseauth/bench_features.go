package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// newCmdBenchFeatures is a placeholder; its owner replaces this file.
func newCmdBenchFeatures(f *cli.Factory) *cobra.Command {
	return &cobra.Command{Use: "features", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("bench features: not built yet") }}
}
