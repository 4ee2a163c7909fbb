package main

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/bench"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/live/deploy"
	"github.com/mouseauth/mouseauth/reports"
)

// BenchPipelineState is bench pipeline's default state folder: its load
// users never land in the default state of the live commands.
const BenchPipelineState = "mouseauth-bench-state"

// BenchPipelineOptions are the options of `mouseauth bench pipeline`.
type BenchPipelineOptions struct {
	IO       *cli.IOStreams
	Now      func() time.Time
	Deploy   DeployOptions
	Users    []int
	Interval time.Duration // per user, in the enterprise mode
	Vectors  int           // per user per round, in the enterprise mode
	Rates    []float64     // total vectors/s; nil = the enterprise mode
	AutoRate bool
	Duration time.Duration // per saturation step
	Soak     time.Duration
	Seed     int64
	Trees    int
	Report   string
	Output   string
	Wait     time.Duration
	Profile  string // folder for CPU, block, mutex and heap profiles
	// Flood, when positive, measures a flood of this many wrong passwords
	// instead (bench.RunFlood).
	Flood int
	// Result receives the rows (tests).
	Result func(*cli.Table)
}

func newCmdBenchPipeline(f *cli.Factory, runF func(context.Context, *BenchPipelineOptions) error) *cobra.Command {
	opts := &BenchPipelineOptions{IO: f.IO, Now: f.Now}
	var users userCounts
	var rates string
	cmd := &cobra.Command{
		Use:   "pipeline",
		Short: "Measure classification-and-store latency and throughput of the live pipeline",
		Long: `Bench pipeline enrols load users (models trained on synthetic base users,
copied to each load user; cheap password hashing, since the load is on the
second factor), runs a scoring service, and replays vectors through Kafka.

Every load user logs in first; the vectors start once every login is
answered, the users' schedules spread over one interval. So the rates and
latencies are those of logged-in users; the logins' own latency (their
burst at the start) is reported apart (login_p99_ms).

Without --rates it reproduces the enterprise design's second table: for each
user count in --user-counts (or --users N), each user sends one vector every
--interval (500ms: 10 vectors per 5 s); per count it reports the service's
classification-and-store time (fetch to decision stored and published) and
the end-to-end latency (send to decision received): mean, std, min, max,
p99.

With --rates (total vectors per second; a list, or auto to double from 250
until p99 passes 100 ms or a vector goes undecided) it holds each rate for
--duration per user count and reports the achieved decisions per second,
latency, CPU (cores busy in this process) and memory, and the highest rate
sustained with p99 under 100 ms. --soak holds the first rate for that long
and reports the heap at the start and the end.

With --flood N it measures what a flood of N wrong passwords costs honest
users instead: 8 users enrolled with the default argon2id parameters stream
vectors from workstations of their own (client identities bound to them,
registered in the state folder); the flood, with the bench's client
identity, is written in one produce request, and the users log in again
behind it. It reports the honest logins' latency and answers
and the in-flight vectors' latency, beside the same run without the flood
(scripts/flood-before-after.sh runs it on the tree before login budgets too).

Embedded by default: the broker, the database, the service and the clients
share this process (and its CPU), in their own state folder
(./mouseauth-bench-state, not the live commands' ./mouseauth-state). For
figures from a fresh state, give each run a new --state folder. --pprof
writes CPU, block, mutex and heap profiles of the run (after enrolment) for
'go tool pprof'. Cluster flags as for 'live serve'.`,
		Example: `  mouseauth bench pipeline --user-counts 1:14 --out bench-out
  mouseauth bench pipeline --user-counts 100,1000,10000 --rates auto --duration 15s
  mouseauth bench pipeline --users 1000 --rates 2000 --soak 10m --retention 1m --input-retention 1m
  mouseauth bench pipeline --state mouseauth-bench-1 --users 1000 --rates 2000 --duration 15s --pprof bench-out/prof
  mouseauth bench pipeline --state mouseauth-bench-flood --flood 2000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if opts.Users, err = users.counts(cmd.Flags(), opts.IO.ErrOut); err != nil {
				return err
			}
			if rates == "auto" {
				opts.AutoRate = true
			} else if rates != "" {
				for _, r := range strings.Split(rates, ",") {
					v, err := strconv.ParseFloat(strings.TrimSpace(r), 64)
					if err != nil || v <= 0 {
						return cli.FlagErrorf("--rates %q: want positive numbers or auto", rates)
					}
					opts.Rates = append(opts.Rates, v)
				}
			}
			if opts.Soak > 0 && len(opts.Rates) == 0 {
				return cli.FlagErrorf("--soak needs --rates")
			}
			if opts.Interval <= 0 || opts.Vectors < 1 || opts.Duration < time.Second {
				return cli.FlagErrorf("--interval must be positive, --vectors >= 1, --duration >= 1s")
			}
			if err := opts.Deploy.validateWith(opts.Output); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return benchPipelineRun(cmd.Context(), opts)
		},
	}
	opts.Deploy.bind(cmd.Flags(), "replay")
	fl := cmd.Flags()
	// A bench enrols thousands of load users: never into the state folder
	// of `live serve` and `live status`.
	opts.Deploy.State = BenchPipelineState
	fl.Lookup("state").DefValue = BenchPipelineState
	users.bind(cmd, 0, "1:14")
	fl.DurationVar(&opts.Interval, "interval", 500*time.Millisecond, "per-user send interval in the enterprise mode")
	fl.IntVar(&opts.Vectors, "vectors", 10, "vectors per user per round in the enterprise mode")
	fl.StringVar(&rates, "rates", "", "total vectors per second: list, or auto (saturation mode)")
	cli.Alias(fl, "rate", "rates")
	fl.DurationVar(&opts.Duration, "duration", 15*time.Second, "how long each rate is held")
	fl.DurationVar(&opts.Soak, "soak", 0, "hold the first rate this long and report heap at start and end")
	bindSeed(fl, &opts.Seed, "seed of the synthetic base users")
	fl.IntVar(&opts.Trees, "trees", 30, "trees of the load users' models")
	fl.StringVar(&opts.Report, "out", "", "write tables (md, csv, json) and plots (png, svg) to this folder")
	cli.Alias(fl, "report", "out")
	fl.DurationVar(&opts.Wait, "wait", 30*time.Second, "how long to wait for outstanding decisions per step")
	fl.StringVar(&opts.Profile, "pprof", "", "write CPU, block, mutex and heap profiles of the run to this folder (go tool pprof)")
	fl.IntVar(&opts.Flood, "flood", 0, "measure a flood of this many wrong passwords against honest users instead")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

func benchPipelineRun(ctx context.Context, opts *BenchPipelineOptions) error {
	ios := opts.IO
	logger := slog.New(slog.NewTextHandler(ios.ErrOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	env, err := opts.Deploy.open(ctx, logger)
	if err != nil {
		return err
	}
	defer env.Close()
	for _, w := range env.Where {
		fmt.Fprintln(ios.ErrOut, "bench:", w)
	}
	if opts.Flood > 0 {
		return benchFloodRun(ctx, opts, env, logger)
	}
	o := bench.PipelineOptions{Users: opts.Users, Interval: opts.Interval, Vectors: opts.Vectors, Rates: opts.Rates, AutoRate: opts.AutoRate,
		Duration: opts.Duration, Soak: opts.Soak, Seed: uint64(opts.Seed), Trees: opts.Trees, Wait: opts.Wait, Now: opts.Now, Logger: logger,
		Notes: ios.ErrOut, Meter: func(total int64, desc, unit string) bench.Meter { return cli.NewProgress(ios, total, desc, unit) },
		Profile: opts.Profile}
	res, err := bench.RunPipeline(ctx, pipelineOf(env), o)
	if err != nil {
		return err
	}
	var tables []reports.NamedTable
	var figs []reports.Figure
	var t *cli.Table
	if o.EnterpriseMode() {
		t, tables, figs, err = latencyTables(res.Latency)
	} else {
		t, tables, figs, err = rateTables(res)
	}
	if err != nil {
		return err
	}
	if res.Soak != nil {
		st, more, fig, err := soakTables(res.Soak)
		if err != nil {
			return err
		}
		tables, figs = append(tables, more...), append(figs, fig)
		if err := cli.Render(ios.Out, opts.Output, st); err != nil {
			return err
		}
	}
	fmt.Fprintf(ios.ErrOut, "machine: %s/%s, %d CPUs, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	if opts.Result != nil {
		opts.Result(t)
	}
	if opts.Report != "" {
		paths, err := reports.WriteFiles(ctx, opts.Report, tables, figs)
		if err != nil {
			return err
		}
		fmt.Fprintf(ios.ErrOut, "wrote %d files to %s\n", len(paths), opts.Report)
	}
	return cli.Render(ios.Out, opts.Output, t)
}

// pipelineOf is env for the benches.
func pipelineOf(env *deploy.Env) bench.Pipeline {
	p := bench.Pipeline{Brokers: env.Brokers, Client: env.TLS, Scorer: env.Scorer, ClientSASL: env.SASL, ScorerSASL: env.ScorerSASL, Topics: env.Topics, Profiles: env.Profiles, Credentials: env.Credentials}
	if env.Topics.PerUser {
		p.EnsureUserTopics = env.EnsureUserTopics
	}
	return p
}
