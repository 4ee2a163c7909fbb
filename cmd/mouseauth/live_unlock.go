package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/live"
)

// UnlockOptions are the options of `mouseauth live unlock`.
type UnlockOptions struct {
	IO     *cli.IOStreams
	Deploy DeployOptions
	User   string
	Client string
}

func newCmdLiveUnlock(f *cli.Factory, runF func(context.Context, *UnlockOptions) error) *cobra.Command {
	opts := &UnlockOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "unlock",
		Short: "Clear a user's failed-login counts, so the next login is checked",
		Long: `Unlock clears the failed-login counts of --user in the credential store: of
every client and the user's own, or with --login-client of that client only.
A client that failed --lockout times in a row for a user waits before its
next login is checked (1 s, doubling up to --lock-for); after four times as
many failures from all clients, clients that have not logged the user in
before wait too. 'live status --lockouts' lists who waits. A running
'live serve' reads the counts at every login: the next one is checked.`,
		Example: `  mouseauth live status --lockouts
  mouseauth live unlock --user User1
  mouseauth live unlock --user User1 --login-client ws-017`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.User == "" {
				return cli.FlagErrorf("--user is required")
			}
			if err := opts.Deploy.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return unlockRun(cmd.Context(), opts)
		},
	}
	opts.Deploy.bind(cmd.Flags(), "scorer")
	cmd.Flags().StringVar(&opts.User, "user", "", "user name (required)")
	cmd.Flags().StringVar(&opts.Client, "login-client", "", "clear only this client's count (the client field of its logins)")
	return cmd
}

func unlockRun(ctx context.Context, opts *UnlockOptions) error {
	env, err := opts.Deploy.openStores(ctx)
	if err != nil {
		return err
	}
	defer env.Close()
	if err := live.Unlock(ctx, env.Credentials, opts.User, opts.Client); err != nil {
		return err
	}
	what := "every client"
	if opts.Client != "" {
		what = "client " + opts.Client
	}
	fmt.Fprintf(opts.IO.ErrOut, "unlocked %s: failed-login counts of %s cleared\n", opts.User, what)
	return nil
}

// bindLockout binds --lockout and --lock-for, the backoff policy of the
// first factor (live.Lockout).
func bindLockout(fs *pflag.FlagSet, lockout *int, lockFor *time.Duration) {
	fs.IntVar(lockout, "lockout", 5, "failed logins one client may make for a user before it waits (1 s, doubling)")
	fs.DurationVar(lockFor, "lock-for", 15*time.Minute, "the longest wait of a client after repeated failed logins")
}
