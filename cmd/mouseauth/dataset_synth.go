package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/dataset"
	"github.com/mouseauth/mouseauth/internal/cli"
)

// SynthOptions are the options of `mouseauth dataset synth`.
type SynthOptions struct {
	IO    *cli.IOStreams
	Out   string
	Force bool
	// Output is the format of the one-row summary on stdout ("": table);
	// the sentence saying the same goes to stderr.
	Output string
	dataset.SynthOptions
}

func newCmdDatasetSynth(f *cli.Factory, runF func(context.Context, *SynthOptions) error) *cobra.Command {
	opts := &SynthOptions{IO: f.IO}
	var start string
	var seed int64
	cmd := &cobra.Command{
		Use:   "synth --users N --sessions M --seed S --out DIR",
		Short: "Synthesize DFL-format mouse logs from a generative model of pointing movements",
		Long: `Synth writes DFL-format logs (client timestamp,button,state,x,y in integer
milliseconds) in the DFL layout DIR/User<N>/<yyyy_MM_dd__HH_mm_ss>.CSV.

Each user has habits drawn from the seed: Fitts'-law speed, a minimum-jerk
speed profile with its own skew, a sideways bow (curvature) with a handedness
bias, overshoot, corrective sub-movements, tremor, sampling rate (a row every
8-20 ms), click hold time, drag and scroll frequency, screen size, and pause
lengths including pauses over 10 s. Every stroke adds its own noise, so
users differ measurably but overlap. A few
repeated and same-instant rows are written so cleaning has something to count.

The same seed and options give the same bytes, whatever the number of cores.
It prints one row (users, sessions, events, folder, seconds) on stdout in the
--output format, and the same as a sentence on stderr.`,
		Example: `  mouseauth dataset synth --users 10 --sessions 3 --seed 1 --out synth
  mouseauth dataset synth --users 2000 --sessions 1 --actions 100 --seed 7 --out load
  mouseauth dataset synth --users 3 --out "$(mktemp -d)" -o json | jq '.[0].events'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Users <= 0 || opts.Sessions <= 0 || opts.Actions <= 0 {
				return cli.FlagErrorf("--users, --sessions and --actions must be positive (got %d, %d, %d)",
					opts.Users, opts.Sessions, opts.Actions)
			}
			if start != "" {
				t, err := time.Parse(time.RFC3339, start)
				if err != nil {
					return cli.FlagErrorf("--start must be a time like 2026-01-05T09:00:00Z: %v", err)
				}
				opts.Start = t
			}
			opts.Seed = uint64(seed) // int64 as every command's --seed; the bits are the generator's seed
			if err := cli.ValidateOutput(opts.Output); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return synthRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.Users, "users", 10, "number of users")
	cmd.Flags().IntVar(&opts.Sessions, "sessions", 3, "sessions per user")
	cmd.Flags().IntVar(&opts.Actions, "actions", 300, "pointing actions per session")
	bindSeed(cmd.Flags(), &seed, "random seed: the same seed gives the same bytes")
	cmd.Flags().StringVar(&opts.Out, "out", "", "output folder (created; must be empty unless --force)")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "write into a folder that is not empty")
	cmd.Flags().StringVar(&start, "start", "", "date of the first session, RFC 3339 (default 2026-01-05T09:00:00Z); names the files")
	cli.AddOutputFlag(cmd, &opts.Output)
	markRequired(cmd, "out")
	return cmd
}

func synthRun(ctx context.Context, opts *SynthOptions) error {
	if ents, err := os.ReadDir(opts.Out); err == nil && len(ents) > 0 && !opts.Force {
		return fmt.Errorf("%s is not empty: choose another --out or add --force", opts.Out)
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return err
	}
	if opts.Workers == 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	bar := cli.NewProgress(opts.IO, int64(opts.Users), "synthesizing", "users")
	create := func(user, session string) (io.WriteCloser, error) {
		return createInDir(filepath.Join(opts.Out, user, session+".CSV"))
	}
	t0 := time.Now()
	st, err := dataset.Synthesize(ctx, opts.SynthOptions, create, func() { bar.Add(1) })
	bar.Done()
	if err != nil {
		return err
	}
	secs := time.Since(t0).Seconds()
	fmt.Fprintf(opts.IO.ErrOut, "wrote %d users, %d sessions, %d events to %s (%.2f s, %.1f M events/s)\n",
		st.Users, st.Sessions, st.Events, opts.Out, secs, float64(st.Events)/secs/1e6)
	t := &cli.Table{Columns: []string{"users", "sessions", "events", "folder", "seconds"}}
	t.Add(st.Users, st.Sessions, st.Events, opts.Out, secs)
	format := opts.Output
	if format == "" {
		format = cli.FormatTable
	}
	return cli.Render(opts.IO.Out, format, t)
}
