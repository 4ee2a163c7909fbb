package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/live"
)

// StatusOptions are the options of `mouseauth live status`.
type StatusOptions struct {
	IO     *cli.IOStreams
	Now    func() time.Time
	Deploy DeployOptions
	Output string
	// Lockouts lists the failed-login records instead, waits computed
	// with Lockout and LockFor (live serve's flags).
	Lockouts bool
	Lockout  int
	LockFor  time.Duration
}

func newCmdLiveStatus(f *cli.Factory, runF func(context.Context, *StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each user's model version, stored vectors and decisions, and failed logins",
		Long: `Status lists each user with a model: its version, what the store holds for
the user, and the user's failed logins in a row (from all clients).

With --lockouts it lists the failed-login records instead: per user (client
"-") and per (user, client), the failures in a row, the latest failure and
success, and until when that client waits before its next login is checked
(computed with --lockout and --lock-for: give live serve's). 'live unlock'
clears them.`,
		Example: `  mouseauth live status
  mouseauth live status --output json
  mouseauth live status --lockouts`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Deploy.validateWith(opts.Output); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
	opts.Deploy.bind(cmd.Flags(), "scorer")
	cmd.Flags().BoolVar(&opts.Lockouts, "lockouts", false, "list the failed-login records, per user and per client, and how long each waits")
	bindLockout(cmd.Flags(), &opts.Lockout, &opts.LockFor)
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	env, err := opts.Deploy.openStores(ctx)
	if err != nil {
		return err
	}
	defer env.Close()
	backoffs, err := live.Backoffs(ctx, env.Credentials, live.Lockout{MaxFailures: opts.Lockout, LockFor: opts.LockFor}, opts.Now())
	if err != nil {
		return err
	}
	if opts.Lockouts {
		t := &cli.Table{Columns: []string{"user", "client", "failures", "last_failure", "last_success", "waits_until"}}
		for _, b := range backoffs {
			client := b.Client
			if client == "" {
				client = "-" // the user's own count, from every client
			}
			t.Add(b.User, client, b.Failures, timeCell(b.LastFailure), timeCell(b.LastSuccess), timeCell(b.Until))
		}
		return cli.Render(opts.IO.Out, opts.Output, t)
	}
	failed := map[string]int{}
	for _, b := range backoffs {
		if b.Client == "" {
			failed[b.User] = b.Failures
		}
	}
	users, err := env.Profiles.ModelUsers(ctx)
	if err != nil {
		return err
	}
	t := &cli.Table{Columns: []string{"user", "model_version", "trained_on", "model_bytes", "vectors", "decisions", "failed_logins"}}
	for _, u := range users {
		m, err := env.Profiles.LatestModel(ctx, u)
		if err != nil {
			return err
		}
		nv, nd, err := env.Profiles.Counts(ctx, u)
		if err != nil {
			return err
		}
		t.Add(u, m.Version, m.Vectors, len(m.Data), nv, nd, failed[u])
	}
	return cli.Render(opts.IO.Out, opts.Output, t)
}

// timeCell is t in RFC 3339 (UTC, seconds), or "-" when zero.
func timeCell(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
