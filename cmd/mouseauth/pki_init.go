package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/pki"
)

// PKIInitOptions are the inputs of `mouseauth pki init`.
type PKIInitOptions struct {
	pkiCommon
	Subject  pki.Subject
	Algo     string
	Validity time.Duration
}

func newCmdPKIInit(f *cli.Factory, runF func(context.Context, *PKIInitOptions) error) *cobra.Command {
	o := &PKIInitOptions{pkiCommon: newPKICommon(f)}
	cmd := &cobra.Command{
		Use:   "init --pki-dir DIR",
		Short: "Create a private root CA (ca.crt, ca.key with mode 0600)",
		Example: `  mouseauth pki init --pki-dir mouseauth-pki
  mouseauth pki init --pki-dir mouseauth-pki --key rsa4096 --cn "Example root" --org Example --validity 87600h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkAlgo(o.Algo); err != nil {
				return err
			}
			return runPKI(cmd.Context(), &o.pkiCommon, o, runF, runPKIInit)
		},
	}
	o.bindDir(cmd)
	o.bindOutput(cmd)
	subjectFlags(cmd, &o.Subject, &o.Algo)
	cmd.Flags().DurationVar(&o.Validity, "validity", 10*365*24*time.Hour, "CA validity")
	return cmd
}

func runPKIInit(_ context.Context, o *PKIInitOptions) error {
	ca, err := pki.CreateCA(o.Dir, pki.CAOptions{Subject: o.Subject, Algo: pki.KeyAlgo(o.Algo), Validity: o.Validity, Now: o.Now()})
	if err != nil {
		return err
	}
	crt, key := filepath.Join(o.Dir, pki.CACertFile), filepath.Join(o.Dir, pki.CAKeyFile)
	t := &cli.Table{Columns: []string{"subject", "key_algo", "not_after", "cert", "key"}}
	t.Add(pki.RFC2253(ca.Cert), ca.Cert.PublicKeyAlgorithm.String(), ca.Cert.NotAfter.UTC().Format(time.RFC3339), crt, key)
	return o.report(fmt.Sprintf("created CA %s (%s, expires %s)\n%s\n%s (mode 0600)\n", pki.RFC2253(ca.Cert), ca.Cert.PublicKeyAlgorithm,
		ca.Cert.NotAfter.UTC().Format(time.DateOnly), crt, key), t)
}
