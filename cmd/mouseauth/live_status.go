package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// StatusOptions are the options of `mouseauth live status`.
type StatusOptions struct {
	IO     *cli.IOStreams
	Deploy DeployOptions
	Output string
}

func newCmdLiveStatus(f *cli.Factory, runF func(context.Context, *StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each user's model version and stored vectors and decisions",
		Example: `  mouseauth live status
  mouseauth live status --output json`,
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
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	env, err := opts.Deploy.openStores(ctx)
	if err != nil {
		return err
	}
	defer env.Close()
	users, err := env.Profiles.ModelUsers(ctx)
	if err != nil {
		return err
	}
	t := &cli.Table{Columns: []string{"user", "model_version", "trained_on", "model_bytes", "vectors", "decisions"}}
	for _, u := range users {
		m, err := env.Profiles.LatestModel(ctx, u)
		if err != nil {
			return err
		}
		nv, nd, err := env.Profiles.Counts(ctx, u)
		if err != nil {
			return err
		}
		t.Add(u, m.Version, m.Vectors, len(m.Data), nv, nd)
	}
	return cli.Render(opts.IO.Out, opts.Output, t)
}
