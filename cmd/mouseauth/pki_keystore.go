package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/pki"
)

// PKIKeystoreOptions are the inputs of `mouseauth pki keystore`.
type PKIKeystoreOptions struct {
	pkiCommon
	Name     string
	Password string // from --password-file or MOUSEAUTH_KEYSTORE_PASSWORD, never a flag value
	Encoding pki.Encoding
	Out      string // default DIR/keystores
}

func newCmdPKIKeystore(f *cli.Factory, runF func(context.Context, *PKIKeystoreOptions) error) *cobra.Command {
	o := &PKIKeystoreOptions{pkiCommon: newPKICommon(f)}
	var pwFile, enc string
	cmd := &cobra.Command{
		Use:   "keystore NAME --pki-dir DIR [--password-file FILE] [--out DIR]",
		Short: "Write PKCS#12 keystore (key + chain) and truststore (the CA) for Java/Kafka",
		Long: `Keystore writes OUT/NAME.p12 (NAME's key, certificate and the CA) and
OUT/truststore.p12 (the CA as a trusted certificate). OUT defaults to DIR/keystores.

The password comes from the first line of --password-file or from
$` + envKeystorePassword + `; never from a flag value. The default encoding
(modern: PBES2/AES-256, HMAC-SHA-256) is read by Java 17 keytool and Kafka;
--encoding legacy-des writes 3DES/SHA-1 for older Java.`,
		Example: `  MOUSEAUTH_KEYSTORE_PASSWORD=... mouseauth pki keystore kafka-1 --pki-dir mouseauth-pki
  mouseauth pki keystore kafka-1 --pki-dir mouseauth-pki --password-file secrets/ks.pass
  keytool -list -storetype PKCS12 -keystore mouseauth-pki/keystores/kafka-1.p12`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			o.Encoding = pki.Encoding(enc)
			if o.Encoding != pki.EncodingModern && o.Encoding != pki.EncodingLegacyDES {
				return cli.FlagErrorf("--encoding must be modern or legacy-des, not %q", enc)
			}
			pw, err := pki.ReadPassword(pwFile, os.Getenv, envKeystorePassword)
			if err != nil {
				return cli.FlagErrorf("%v", err)
			}
			o.Password = pw
			return runPKI(cmd.Context(), &o.pkiCommon, o, runF, runPKIKeystore)
		},
	}
	o.bindDir(cmd)
	o.bindOutput(cmd)
	cmd.Flags().StringVar(&pwFile, "password-file", "", "file whose first line is the keystore password (default $"+envKeystorePassword+")")
	cmd.Flags().StringVar(&enc, "encoding", string(pki.EncodingModern), "modern or legacy-des")
	cmd.Flags().StringVar(&o.Out, "out", "", "output directory (default DIR/keystores)")
	return cmd
}

func runPKIKeystore(_ context.Context, o *PKIKeystoreOptions) error {
	ks, ts, err := pki.WriteKeystores(o.Dir, o.Name, o.Out, o.Password, o.Encoding)
	if err != nil {
		return err
	}
	t := &cli.Table{Columns: []string{"name", "keystore", "truststore", "encoding"}}
	t.Add(o.Name, ks, ts, string(o.Encoding))
	return o.report(fmt.Sprintf("keystore %s (PKCS12, %s: key, certificate, CA)\ntruststore %s (PKCS12, %s: CA)\n", ks, o.Encoding, ts, o.Encoding), t)
}
