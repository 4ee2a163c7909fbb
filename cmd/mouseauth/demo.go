package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// NewCmdDemo is a placeholder until its issue lands.
func NewCmdDemo(f *cli.Factory) *cobra.Command {
	return &cobra.Command{Use: "demo", Short: "Run every stage on synthetic data", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("demo: not built yet") }}
}
