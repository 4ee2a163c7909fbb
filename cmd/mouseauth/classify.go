package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// NewCmdClassify is a placeholder until its issue lands.
func NewCmdClassify(f *cli.Factory) *cobra.Command {
	return &cobra.Command{Use: "classify", Short: "Train and apply per-user models", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("classify: not built yet") }}
}
