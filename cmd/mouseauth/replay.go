package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// NewCmdReplay is a placeholder until its issue lands.
func NewCmdReplay(f *cli.Factory) *cobra.Command {
	return &cobra.Command{Use: "replay", Short: "Replay recorded sessions", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("replay: not built yet") }}
}
