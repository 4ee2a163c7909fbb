package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// newCmdBenchClassify is a placeholder; its owner replaces this file.
func newCmdBenchClassify(f *cli.Factory) *cobra.Command {
	return &cobra.Command{Use: "classify", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("bench classify: not built yet") }}
}
