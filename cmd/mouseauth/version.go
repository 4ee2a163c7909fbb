package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// VersionOptions are the options of `mouseauth version`.
type VersionOptions struct {
	IO     *cli.IOStreams
	Build  cli.Build
	Output string
}

func newCmdVersion(f *cli.Factory, runF func(context.Context, *VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version of this binary",
		Long: `Version prints what the Go toolchain recorded in this binary: the module
version, the commit it was built from (marked dirty when the working tree had
uncommitted changes) and its time, and the Go version and platform. A binary
built by 'go run' or 'go test' carries no commit. 'mouseauth --version' prints
the same.`,
		Example: `  mouseauth version
  mouseauth version -o json | jq -r .commit`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cli.ValidateOutput(opts.Output); err != nil {
				return err
			}
			opts.Build = f.BuildInfo()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return versionRun(cmd.Context(), opts)
		},
	}
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

func versionRun(_ context.Context, opts *VersionOptions) error {
	if opts.Output == cli.FormatTable {
		_, err := io.WriteString(opts.IO.Out, opts.Build.Text())
		return err
	}
	if opts.Output == cli.FormatJSON {
		return cli.WriteJSON(opts.IO.Out, opts.Build)
	}
	return cli.Render(opts.IO.Out, opts.Output, opts.Build.Table())
}
