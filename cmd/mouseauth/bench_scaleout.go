package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/bench"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live/deploy"
	"github.com/mouseauth/mouseauth/live/topics"
)

// BenchScaleOutOptions are the options of `mouseauth bench scaleout`.
type BenchScaleOutOptions struct {
	IO             *cli.IOStreams
	Now            func() time.Time
	Deploy         DeployOptions
	Users          int
	Rate           float64
	Phase          time.Duration
	Start, Add     int
	Kill           bool
	SessionTimeout time.Duration
	Group          string
	Seed           int64
	Trees          int
	Wait           time.Duration
	Output         string
	// Command returns the program and leading arguments that run
	// mouseauth (default: this executable); tests run the test binary.
	Command func() (string, []string, error)
	// Result receives the table (tests).
	Result func(*cli.Table, bench.ScaleOutResult)
}

func newCmdBenchScaleOut(f *cli.Factory, runF func(context.Context, *BenchScaleOutOptions) error) *cobra.Command {
	opts := &BenchScaleOutOptions{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "scaleout",
		Short: "Run several `live serve` processes in one consumer group: add, kill -9, count",
		Long: `Bench scaleout runs the scale-out story for real, with separate processes:
it starts the broker (embedded unless --brokers), enrols --users load users,
starts --instances 'mouseauth live serve' processes in one consumer group, and
replays --rate vectors per second in all for three phases of --phase each:

  1. the first instance(s) alone
  2. --add more instances join (the group rebalances)
  3. the first instance is killed with SIGKILL (no drain, no commit, no
     leaving the group: its partitions move after --session-timeout)

Per phase it prints the instances, the decisions per second, the latency
(send to decision received), the longest time any partition went without a
decision (the rebalance as clients see it) and the partitions each instance
holds; at the end the instances drain and the totals show that every vector
sent was stored and decided (redelivered decisions are counted apart).

The instances share the store: with the embedded default all of them open
STATE/mouseauth.db (SQLite in WAL mode: one writer at a time across the
processes); with --profiles mysql or --cassandra each writes to the server.
Their logs are in STATE/scaleout/NAME.log, and each says it serves by
writing STATE/scaleout/NAME.ready (live serve --ready-file); STATE is ./mouseauth-bench-state
unless --state says otherwise, apart from the state of 'live serve'. The
processes share this machine's CPUs with the broker and the clients.`,
		Example: `  mouseauth bench scaleout --users 500 --rate 800 --phase 20s
  # saturate: more than the instances decide, each phase shows its throughput
  mouseauth bench scaleout --state mouseauth-bench-sat --users 1000 --rate 6000 --wait 5m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case opts.Users < 1 || opts.Rate <= 0:
				return cli.FlagErrorf("--users must be at least 1 and --rate positive")
			case opts.Phase < time.Second:
				return cli.FlagErrorf("--phase must be at least 1s")
			case opts.Start < 1 || opts.Add < 0:
				return cli.FlagErrorf("--instances must be at least 1 and --add at least 0")
			case opts.SessionTimeout < time.Second:
				return cli.FlagErrorf("--session-timeout must be at least 1s")
			}
			if err := opts.Deploy.validateWith(opts.Output); err != nil {
				return err
			}
			if opts.Deploy.TopicPerUser {
				return cli.FlagErrorf("--topic-per-user is not supported by the scale-out bench")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return benchScaleOutRun(cmd.Context(), opts)
		},
	}
	opts.Deploy.bind(cmd.Flags(), "replay")
	fl := cmd.Flags()
	fl.IntVar(&opts.Users, "users", 500, "load users")
	fl.Float64Var(&opts.Rate, "rate", 1000, "vectors per second, all users together")
	fl.DurationVar(&opts.Phase, "phase", 20*time.Second, "length of each of the three phases")
	fl.IntVar(&opts.Start, "instances", 1, "instances at the start")
	cli.Alias(fl, "start", "instances")
	fl.IntVar(&opts.Add, "add", 2, "instances added after the first phase")
	fl.BoolVar(&opts.Kill, "kill", true, "kill the first instance with SIGKILL after the second phase")
	fl.DurationVar(&opts.SessionTimeout, "session-timeout", 10*time.Second, "the instances' consumer group session timeout")
	fl.StringVar(&opts.Group, "group", topics.DefaultGroup, "the instances' consumer group")
	bindSeed(fl, &opts.Seed, "seed of the synthetic base users")
	fl.IntVar(&opts.Trees, "trees", 30, "trees of the load users' models")
	fl.DurationVar(&opts.Wait, "wait", time.Minute, "how long to wait for outstanding decisions after the last send")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// serveArgs are the `live serve` arguments of one instance: the pipeline's
// broker and the same store flags as this command.
//
// Every instance uses the keys of this command's state folder (the scorer
// key the clients seal logins to, and the state key that seals stored
// session keys, which any instance must open after a rebalance): an
// instance with a state folder of its own gets a copy of them. On the
// embedded broker the instances authenticate as its scorer SASL user.
func (o *BenchScaleOutOptions) serveArgs(brokers []string, tlsDir, name, readyFile string, embedded bool) ([]string, error) {
	d := o.Deploy
	state := d.State // the embedded store is the shared STATE/mouseauth.db
	if d.Profiles == "mysql" || d.Profiles == "cassandra" || len(d.Cassandra) > 0 || d.dsnSource() != "" {
		state = filepath.Join(d.State, "scaleout", name)
		if err := deploy.CopyKeys(d.State, state); err != nil {
			return nil, err
		}
	}
	args := []string{"live", "serve", "--state", state, "--brokers", strings.Join(brokers, ","), "--pki-dir", tlsDir, "--cert", cluster.CertScorer,
		"--partitions", strconv.Itoa(d.Partitions), "--listen", "127.0.0.1:0", "--group", o.Group, "--retrain-every", "-1",
		"--log-level", "warn", "--session-timeout", o.SessionTimeout.String(), "--ready-file", readyFile}
	if d.Profiles != "" {
		args = append(args, "--profiles", d.Profiles)
	}
	if d.MySQLDSNFile != "" {
		args = append(args, "--mysql-dsn-file", d.MySQLDSNFile)
	}
	if len(d.Cassandra) > 0 {
		args = append(args, "--cassandra", strings.Join(d.Cassandra, ","), "--keyspace", d.Keyspace, "--replication", d.Replication)
	}
	if d.ModelsDir != "" {
		args = append(args, "--models-dir", d.ModelsDir)
	}
	if embedded {
		args = append(args, "--sasl-user", cluster.UserScorer, "--sasl-password-file", cluster.PasswordPath(d.State, cluster.UserScorer))
	}
	return args, nil
}

func benchScaleOutRun(ctx context.Context, opts *BenchScaleOutOptions) error {
	ios := opts.IO
	logger := slog.New(slog.NewTextHandler(ios.ErrOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// The embedded broker grants the scorer its consumer group: the
	// instances' group.
	opts.Deploy.Group = opts.Group
	env, err := opts.Deploy.open(ctx, logger)
	if err != nil {
		return err
	}
	defer env.Close()
	for _, w := range env.Where {
		fmt.Fprintln(ios.ErrOut, "bench:", w)
	}
	tlsDir := opts.Deploy.TLSDir
	if env.Cluster != nil {
		tlsDir = env.Cluster.PKIDir
	}
	logs := filepath.Join(opts.Deploy.State, "scaleout")
	if err := os.MkdirAll(logs, 0o700); err != nil {
		return err
	}
	command := opts.Command
	if command == nil {
		command = func() (string, []string, error) {
			exe, err := os.Executable()
			return exe, nil, err
		}
	}
	prog, lead, err := command()
	if err != nil {
		return err
	}
	o := bench.ScaleOutOptions{Users: opts.Users, Rate: opts.Rate, Phase: opts.Phase, Start: opts.Start, Add: opts.Add, Kill: opts.Kill,
		Seed: uint64(opts.Seed), Trees: opts.Trees, Wait: opts.Wait, Now: opts.Now, Logs: logs, Notes: ios.ErrOut,
		Meter:  func(total int64, desc, unit string) bench.Meter { return cli.NewProgress(ios, total, desc, unit) },
		Logger: func(format string, args ...any) { fmt.Fprintf(ios.ErrOut, "bench: "+format+"\n", args...) },
		Spawn: func(name, readyFile string) (*exec.Cmd, error) {
			serve, err := opts.serveArgs(env.Brokers, tlsDir, name, readyFile, env.Cluster != nil)
			if err != nil {
				return nil, err
			}
			return exec.Command(prog, append(append([]string(nil), lead...), serve...)...), nil
		}}
	p := pipelineOf(env)
	if p.Keys, err = env.Keys(); err != nil {
		return err
	}
	res, err := bench.RunScaleOut(ctx, p, o)
	t := &cli.Table{Columns: []string{"phase", "instances", "seconds", "decided", "decided_per_s", "p50_ms", "p99_ms", "max_partition_pause_s",
		"ready_s", "generation", "partitions_per_instance"}}
	for _, ph := range res.Phases {
		parts := make([]string, len(ph.Partitions))
		for i, n := range ph.Partitions {
			parts[i] = strconv.Itoa(n)
		}
		t.Add(ph.Name, ph.Instances, r2(ph.Seconds), ph.Decided, r2(ph.Throughput), r2(ph.P50), r2(ph.P99), r2(ph.Pause.Seconds()),
			r2(ph.Ready.Seconds()), ph.Generation, strings.Join(parts, ","))
	}
	x := res.Result
	fmt.Fprintf(ios.ErrOut, "sent %d, decided %d, stored %d vectors and %d decisions, lost %d, redelivered decisions received %d; drain of the survivors %v\n",
		x.Sent, x.Decided, res.Stored.Vectors, res.Stored.Decisions, res.Lost, res.Duplicates, res.SessionDrain.Round(time.Millisecond))
	fmt.Fprintf(ios.ErrOut, "machine: %s/%s, %d CPUs, %s; instance logs in %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), logs)
	if opts.Result != nil {
		opts.Result(t, res)
	}
	if rerr := cli.Render(ios.Out, opts.Output, t); err == nil {
		err = rerr
	}
	if err == nil && res.Lost != 0 {
		err = fmt.Errorf("bench: %d vectors sent were not decided or not stored", res.Lost)
	}
	return err
}
