package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// NewCmdPKI is a placeholder until its issue lands.
func NewCmdPKI(f *cli.Factory) *cobra.Command {
	return &cobra.Command{Use: "pki", Short: "Private CA, certificates, keystores", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return errors.New("pki: not built yet") }}
}
