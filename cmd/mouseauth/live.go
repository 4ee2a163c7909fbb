package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// NewCmdLive is a placeholder until its issue lands.
func NewCmdLive(f *cli.Factory) *cobra.Command {
	return &cobra.Command{Use: "live", Short: "Live scoring service", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("live: not built yet") }}
}
