package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// newCmdDatasetSynth is a placeholder until its issue lands.
func newCmdDatasetSynth(f *cli.Factory) *cobra.Command {
	return &cobra.Command{Use: "synth", Short: "Synthesize logs", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("synth: not built yet") }}
}
