package main

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/pki"
)

// PKIShowOptions are the inputs of `mouseauth pki show`.
type PKIShowOptions struct {
	pkiCommon
	Output string
}

func newCmdPKIShow(f *cli.Factory, runF func(context.Context, *PKIShowOptions) error) *cobra.Command {
	o := &PKIShowOptions{pkiCommon: newPKICommon(f)}
	cmd := &cobra.Command{
		Use:   "show --pki-dir DIR",
		Short: "List issued certificates: subject, SANs, role, expiry",
		Example: `  mouseauth pki show --pki-dir mouseauth-pki
  mouseauth pki show --pki-dir mouseauth-pki --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cli.ValidateOutput(o.Output); err != nil {
				return err
			}
			return runPKI(cmd.Context(), &o.pkiCommon, o, runF, runPKIShow)
		},
	}
	o.bindDir(cmd)
	cli.AddOutputFlag(cmd, &o.Output)
	return cmd
}

func runPKIShow(_ context.Context, o *PKIShowOptions) error {
	list, err := pki.List(o.Dir)
	if err != nil {
		return err
	}
	if o.Output == cli.FormatJSON {
		enc := json.NewEncoder(o.IO.Out)
		enc.SetIndent("", "  ")
		if list == nil {
			list = []pki.CertInfo{}
		}
		return enc.Encode(list)
	}
	now := o.Now()
	t := &cli.Table{Columns: []string{"name", "subject", "sans", "role", "not_after", "status", "key"}}
	for _, c := range list {
		key := "-"
		if c.HasKey {
			key = "yes"
		}
		t.Add(c.Name, c.Subject, strings.Join(c.SANs, " "), string(c.Role), c.NotAfter.Format(time.RFC3339), string(c.Status(now)), key)
	}
	return cli.Render(o.IO.Out, o.Output, t)
}
