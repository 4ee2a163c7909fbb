package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// NewCmdPreprocess is a placeholder until its issue lands.
func NewCmdPreprocess(f *cli.Factory) *cobra.Command {
	return &cobra.Command{Use: "preprocess", Short: "Segment logs into actions and extract features", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("preprocess: not built yet") }}
}
