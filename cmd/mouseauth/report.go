package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// NewCmdReport is a placeholder until its issue lands.
func NewCmdReport(f *cli.Factory) *cobra.Command {
	return &cobra.Command{Use: "report", Short: "Gather a run into a report", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("report: not built yet") }}
}
