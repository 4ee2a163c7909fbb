package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live/deploy"
)

// PKIBundleOptions are the options of `mouseauth pki bundle`.
type PKIBundleOptions struct {
	pkiCommon
	State        string
	Brokers      []string
	ScorerKey    string
	Client       string
	Users        []string
	Out          string
	Validity     time.Duration
	TopicPerUser bool
	// Wait bounds the wait for a running embedded broker to admit the
	// identity.
	Wait time.Duration
}

func newCmdPKIBundle(f *cli.Factory, runF func(context.Context, *PKIBundleOptions) error) *cobra.Command {
	o := &PKIBundleOptions{pkiCommon: newPKICommon(f)}
	o.Dir = "" // the state's PKI unless --pki-dir is given
	cmd := &cobra.Command{
		Use:   "bundle --client NAME --bind-users U1,U2 --out DIR",
		Short: "Write a workstation's client bundle: its own identity, bound to its users, and nothing more",
		Long: `Bundle makes a client identity for one workstation and writes the files that
machine needs, and nothing more, into --out (0700, every file 0600):

  ca.crt           the CA certificate (no key)
  client.crt       the identity's certificate, bound to --bind-users
  client.key       its private key (the only copy: the scorer's side keeps the
                   certificate, not the key)
  sasl.password    its SASL/SCRAM password (the SASL user is --client)
  scorer-hpke.pub  the scorer's public key, which logins are sealed to
  bundle.json      brokers, the identity's name and users, topic names

The identity signs every login (wire format 3); the scorer refuses a login for
a user it is not bound to, before checking the password, and answers on the
identity's own decision topic (mouseauth.decisions.NAME), which only it and the
operators may read. Copy the folder to the workstation; 'mouseauth replay
--bundle DIR' runs from it alone.

It runs on the scorer's side. With the embedded state (--state, default
./mouseauth-state, after 'live serve' ran there once) it registers the
identity in the state folder: a running 'live serve' admits it within seconds
(its SASL user, grants and decision topic), and bundle waits for that. With a
real cluster (--pki-dir, --brokers, --scorer-key) the PKI folder's CA issues
the certificate and bundle prints what the cluster's admin runs.

Enrol the users on the scorer's side ('live enroll'): a bundle enrols nobody.
To revoke an identity, delete its certificate in the state folder
(pki/issued/NAME.crt); a running broker drops its SASL user and grants.`,
		Example: `  mouseauth pki bundle --client ws1 --bind-users User1,User2,User3,User4 --out ws1
  mouseauth pki bundle --pki-dir mouseauth-pki --brokers kafka1:9093 --scorer-key scorer-hpke.pub --client ws7 --bind-users alice --out ws7`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case o.Client == "" || len(o.Users) == 0 || o.Out == "":
				return cli.FlagErrorf("--client, --bind-users and --out are required")
			case o.Dir != "" && (len(o.Brokers) == 0 || o.ScorerKey == ""):
				return cli.FlagErrorf("--pki-dir (a real cluster) needs --brokers and --scorer-key")
			case o.Dir != "" && cmd.Flags().Changed("state"):
				return cli.FlagErrorf("give the embedded --state or a real cluster's --pki-dir, not both")
			case o.Dir == "" && len(o.Brokers) > 0:
				return cli.FlagErrorf("--brokers needs --pki-dir: the embedded broker's address is in the state folder")
			case o.Validity < 0:
				return cli.FlagErrorf("--validity cannot be negative")
			}
			if o.Output != "" {
				if err := cli.ValidateOutput(o.Output); err != nil {
					return err
				}
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runPKIBundle(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	o.bindDir(cmd)
	fl.StringVar(&o.State, "state", "mouseauth-state", "folder of the embedded default (after 'live serve' ran there): its CA issues the identity, its broker admits it")
	fl.StringSliceVar(&o.Brokers, "brokers", nil, "a real cluster's brokers host:port (with --pki-dir)")
	fl.StringVar(&o.ScorerKey, "scorer-key", "", "the scorer's public key (PEM) logins are sealed to (default: STATE/"+deploy.PublicKeyFile+")")
	fl.StringVar(&o.Client, "client", "", "the workstation's identity name: certificate and SASL user (1-64 letters, digits, '.', '_' or '-')")
	fl.StringSliceVar(&o.Users, "bind-users", nil, "users the identity may act for, comma-separated")
	fl.StringVar(&o.Out, "out", "", "the bundle's folder (new, or empty)")
	fl.DurationVar(&o.Validity, "validity", 365*24*time.Hour, "how long the identity's certificate is valid")
	fl.BoolVar(&o.TopicPerUser, "topic-per-user", false, "one feature topic per user, as the enterprise design had")
	fl.DurationVar(&o.Wait, "wait", 30*time.Second, "how long to wait for a running embedded broker to admit the identity")
	o.bindOutput(cmd)
	return cmd
}

func runPKIBundle(ctx context.Context, o *PKIBundleOptions) error {
	bo := deploy.BundleOptions{PKIDir: o.Dir, Brokers: o.Brokers, ScorerKey: o.ScorerKey, Client: o.Client, Users: o.Users,
		Out: o.Out, Validity: o.Validity, TopicPerUser: o.TopicPerUser, Now: o.Now()}
	if o.Dir == "" {
		bo.State = o.State
	}
	b, admin, err := deploy.WriteBundle(bo)
	if err != nil {
		return err
	}
	t := &cli.Table{Columns: []string{"file", "mode", "holds"}}
	holds := map[string]string{deploy.BundleCA: "the CA certificate (no key)", deploy.BundleCert: "the identity's certificate, bound to " + strings.Join(o.Users, ","),
		deploy.BundleKey: "its private key (the only copy)", deploy.BundlePassword: "its SASL password (user " + o.Client + ")",
		deploy.BundleScorerKey: "the scorer's public key", deploy.BundleConfig: "brokers " + strings.Join(b.Config.Brokers, ",") + ", topics"}
	var text strings.Builder
	fmt.Fprintf(&text, "client bundle %s: identity %s, bound to %s, valid until %s\n", o.Out, o.Client, strings.Join(o.Users, ", "), b.Config.Expires.Format(time.DateOnly))
	for _, name := range deploy.BundleFiles() {
		fi, err := os.Stat(filepath.Join(o.Out, name))
		if err != nil {
			return err
		}
		t.Add(name, fmt.Sprintf("%04o", fi.Mode().Perm()), holds[name])
		fmt.Fprintf(&text, "  %-16s %04o  %s\n", name, fi.Mode().Perm(), holds[name])
	}
	switch {
	case len(admin) > 0:
		fmt.Fprintf(&text, "the cluster's admin registers it:\n")
		for _, c := range admin {
			fmt.Fprintf(&text, "  %s\n", c)
		}
	default:
		note := admitted(ctx, o, b)
		fmt.Fprintf(&text, "%s\n", note)
	}
	fmt.Fprintf(&text, "on the workstation: mouseauth replay --bundle %s --password-file FILE --users N\n", o.Out)
	if o.Output == "" || o.Output == cli.FormatTable {
		_, err = fmt.Fprint(o.IO.Out, text.String())
		return err
	}
	return cli.Render(o.IO.Out, o.Output, t)
}

// admitted says whether a running embedded broker admitted the bundle's
// identity (waiting up to o.Wait), or that the next 'live serve' will.
func admitted(ctx context.Context, o *PKIBundleOptions, b *deploy.Bundle) string {
	lock, err := cluster.LockState(o.State)
	if err == nil {
		lock.Unlock()
		return "no 'live serve' runs on " + o.State + ": its broker admits the identity when it starts"
	}
	if !errors.Is(err, cluster.ErrStateLocked) {
		return "the state folder's lock: " + err.Error()
	}
	loaded, err := deploy.LoadBundle(o.Out)
	if err != nil {
		return "the bundle does not load: " + err.Error()
	}
	wctx, cancel := context.WithTimeout(ctx, o.Wait)
	defer cancel()
	if err := loaded.WaitAdmitted(wctx); err != nil {
		return fmt.Sprintf("the running broker has not admitted %s within %v (%v): check the 'live serve' log", o.Client, o.Wait, err)
	}
	return fmt.Sprintf("the running broker at %s admitted %s", strings.Join(b.Config.Brokers, ","), o.Client)
}
