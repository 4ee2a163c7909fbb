package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// newCmdDatasetClean is a placeholder until its issue lands.
func newCmdDatasetClean(f *cli.Factory) *cobra.Command {
	return &cobra.Command{Use: "clean", Short: "Clean logs", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("clean: not built yet") }}
}
