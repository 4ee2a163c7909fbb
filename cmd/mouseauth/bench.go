package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// NewCmdBench is a placeholder until its issue lands.
func NewCmdBench(f *cli.Factory) *cobra.Command {
	return &cobra.Command{Use: "bench", Short: "Benchmarks", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("bench: not built yet") }}
}
