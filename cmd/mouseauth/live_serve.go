package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/internal/shell"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/deploy"
	"github.com/mouseauth/mouseauth/live/topics"
)

// ServeOptions are the options of `mouseauth live serve`.
type ServeOptions struct {
	IO         *cli.IOStreams
	Deploy     DeployOptions
	Retrain    int64
	RetrainAge time.Duration
	Preset     string // training settings of retrained models
	// ModelCache is the model cache's bound in MiB.
	ModelCache int
	Trees      int
	Seed       int64
	Group      string
	Listen     string
	LogLevel   string
	Lockout    int
	LockFor    time.Duration
	// AllowRemoteMetrics allows a --listen address that is not loopback.
	AllowRemoteMetrics bool
	// SessionTimeout is the consumer group session timeout: how long the
	// partitions of an instance that died wait before moving.
	SessionTimeout time.Duration
	// ReadyFile, when set, receives a [deploy.Ready] once the service
	// consumes, and is removed when it stops.
	ReadyFile string
	// Started, when set, is called with the /metrics address and a channel
	// closed once the service consumes (tests).
	Started func(addr string, ready <-chan struct{})
}

func newCmdLiveServe(f *cli.Factory, runF func(context.Context, *ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Score logins and mouse actions from Kafka until stopped",
		Long: `Serve consumes logins and feature vectors and decides, for the whole session:

  first factor   the password against an argon2id hash (MySQL or the embedded
                 database), within login budgets (per client, per user, overall)
                 and with a backoff per user and client after repeated failures
                 ('mouseauth live status --lockouts' shows it, 'live unlock'
                 clears it)
  second factor  each action scored by the user's model and checked by its
                 guard (physical bounds, the user's range); the decision
                 policy the model records (the sequential rule, judged from the
                 first action, unless it was enrolled with another) accepts or
                 refuses it and raises the session's alert; repeated vectors
                 count against the session

The client is told accept or refuse, and that its session is closed once the
alert is raised, never a score: the scores go to the store, /metrics and the
alerts topic, which operators read ('mouseauth live tail').

Vectors, decisions and sessions are stored idempotently, offsets committed only
after the decision is stored, so a crash or restart loses and double-counts
nothing. Messages that cannot be processed go to the dead-letter topic. After
--retrain-every new vectors a user's model is retrained in the background, one
user at a time, on the vectors of ended sessions that were judged, accepted and
raised no alert (no session more than a tenth of them) against a sample of
other users' vectors; it is swapped in only if it accepts no more of the
user's alerted sessions and of other users' held-back vectors than the model
in use. At most --model-cache MiB of decoded models stay in memory.
/metrics (Prometheus) and /healthz are served on --listen:
/healthz answers 200 with a JSON report, or 503 naming what is wrong (a
partition stalled since when, the store, the broker, a full disk).
Several instances with the same --group share the partitions (scale-out).
SIGTERM or Ctrl-C drains: fetched messages finish, offsets are committed.

With no cluster flags everything is embedded under --state: a Kafka broker
with mutual TLS and a data directory, a SQLite database, and certificates
created on first use. Flags point it at real clusters instead; secrets (the
MySQL DSN) come from a file or the environment, never from flags.

The embedded broker authorizes as a real cluster would: mutual TLS (our CA's
certificates only), then SASL/SCRAM-SHA-512 with one user per role (scorer,
replay, admin, operator; passwords generated into STATE/sasl/, mode 0600) and
per workstation ('mouseauth pki bundle'), each holding exactly the grants of
'mouseauth pki config acl'. Every login is signed by a client identity; a login
for a user the identity is not bound to is refused before the password is
checked, and each identity's decisions go to its own topic. The state folder and every
file in it are kept private (0700/0600), and a lock file stops a second serve
(or embedded replay/bench) on the same folder. ` + saslFlagsHelp + `

The embedded broker keeps decisions, alerts and dead letters for --retention
(7 days, to read an alert at leisure) and logins and feature vectors for
--input-retention (10 minutes: a sealed login should not stay stored); each
start sets them on its topics. Its files (STATE/kafka) hold the logins and
vectors no longer than --input-retention plus 30 s, and when serve stops the
ones the scorer consumed are deleted from them.

/metrics and /healthz listen on loopback by default (127.0.0.1:9464, or
$MOUSEAUTH_LISTEN; 127.0.0.1:0 picks a free port and prints it); another
address needs --allow-remote-metrics.

--ready-file PATH tells a supervisor that the instance serves: once it
consumes (joined the group, partitions assigned), it writes PATH atomically,
one JSON object with its pid, the /metrics address, the brokers and the
group, and removes it when it stops.`,
		Example: `  # embedded: broker, database and certificates under ./mouseauth-state
  mouseauth live serve

  # real clusters: Kafka and MariaDB over mTLS, profiles in Cassandra
  MOUSEAUTH_MYSQL_DSN='scorer@tcp(db1:3306)/mouseauth' mouseauth live serve \
    --brokers kafka1:9093,kafka2:9093 --pki-dir mouseauth-pki --cert scorer \
    --cassandra cass1:9142 --replication NetworkTopologyStrategy:dc1=3

  # a SASL_SSL cluster: the principal is User:scorer
  mouseauth live serve --brokers kafka1:9093 --pki-dir mouseauth-pki --cert scorer \
    --sasl-user scorer --sasl-password-file scorer.password`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Deploy.validate(); err != nil {
				return err
			}
			if err := checkTrainPreset(cmd, opts.IO.ErrOut, &opts.Preset); err != nil {
				return err
			}
			if opts.ModelCache < 1 {
				return cli.FlagErrorf("--model-cache %d: want at least 1 MiB", opts.ModelCache)
			}
			if opts.SessionTimeout < time.Second || opts.SessionTimeout > 5*time.Minute {
				return cli.FlagErrorf("--session-timeout %v: want 1s to 5m", opts.SessionTimeout)
			}
			if _, err := parseLevel(opts.LogLevel); err != nil {
				return err
			}
			if err := checkListen(opts.Listen, opts.AllowRemoteMetrics); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return serveRun(cmd.Context(), opts)
		},
	}
	opts.Deploy.bind(cmd.Flags(), "scorer")
	fl := cmd.Flags()
	fl.Int64Var(&opts.Retrain, "retrain-every", 1000, "retrain a user's model after this many new vectors (-1: never)")
	fl.DurationVar(&opts.RetrainAge, "retrain-age", 30*24*time.Hour, "retrain a model older than this")
	fl.IntVar(&opts.ModelCache, "model-cache", live.DefaultModelCacheBytes>>20, "MiB of decoded models kept in memory (least recently used evicted beyond)")
	fl.StringVar(&opts.Preset, "preset", presetDefault, "training settings of retrained models: improved (gbdt, what the evaluation recommends) or published (rf of --trees trees; it was called reference)")
	fl.IntVar(&opts.Trees, "trees", 100, "trees of retrained models under --preset published")
	bindSeed(fl, &opts.Seed, "seed of retraining")
	fl.StringVar(&opts.Group, "group", topics.DefaultGroup, "Kafka consumer group")
	listen := defaultListen
	if v := os.Getenv(envListen); v != "" {
		listen = v
	}
	fl.StringVar(&opts.Listen, "listen", listen, "address of /metrics and /healthz (empty: off; default $"+envListen+", else "+defaultListen+"); loopback unless --allow-remote-metrics")
	fl.BoolVar(&opts.AllowRemoteMetrics, "allow-remote-metrics", false, "allow a --listen address other than loopback (metrics and health readable from the network)")
	fl.StringVar(&opts.LogLevel, "log-level", "info", "debug, info, warn or error (logs go to stderr)")
	bindLockout(fl, &opts.Lockout, &opts.LockFor)
	fl.DurationVar(&opts.SessionTimeout, "session-timeout", 10*time.Second, "consumer group session timeout: how long a dead instance's partitions wait before moving to the others")
	fl.StringVar(&opts.ReadyFile, "ready-file", "", "write this JSON file (pid, metrics address, brokers, group) once serving; removed on stop")
	return cmd
}

// The default address of /metrics and /healthz: $MOUSEAUTH_LISTEN, else
// Prometheus' customary exporter port on loopback. 127.0.0.1:0 picks a free
// port (printed at the start, and in --ready-file), for a machine where
// another service holds 9464.
const (
	envListen     = "MOUSEAUTH_LISTEN"
	defaultListen = "127.0.0.1:9464"
)

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, cli.FlagErrorf("--log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

func serveRun(ctx context.Context, opts *ServeOptions) error {
	level, _ := parseLevel(opts.LogLevel)
	logger := slog.New(slog.NewTextHandler(opts.IO.ErrOut, &slog.HandlerOptions{Level: level}))
	opts.Deploy.Group = opts.Group
	env, err := opts.Deploy.open(ctx, logger)
	if err != nil {
		return err
	}
	defer env.Close()
	cfg, err := env.ServiceConfig(live.Config{Group: opts.Group,
		Lockout: live.Lockout{MaxFailures: opts.Lockout, LockFor: opts.LockFor},
		Retrain: live.RetrainPolicy{Every: opts.Retrain, MaxAge: opts.RetrainAge,
			Train: account.TrainOptions{Preset: opts.Preset, Params: map[string]any{"trees": opts.Trees}, Seed: opts.Seed}},
		ModelCacheBytes: int64(opts.ModelCache) << 20, SessionTimeout: opts.SessionTimeout, Logger: logger})
	if err != nil {
		return err
	}
	if env.Cluster != nil {
		// The embedded broker and database live in the state folder:
		// /healthz reports a full disk there.
		cfg.StateDir = opts.Deploy.State
	}
	svc, err := live.New(cfg)
	if err != nil {
		return err
	}
	var ln net.Listener
	if opts.Listen != "" {
		if ln, err = net.Listen("tcp", opts.Listen); err != nil {
			return fmt.Errorf("--listen %s: %w", opts.Listen, err)
		}
	}
	for _, w := range env.Where {
		fmt.Fprintln(opts.IO.ErrOut, "mouseauth live:", w)
	}
	addr := ""
	if ln != nil {
		addr = ln.Addr().String()
		fmt.Fprintf(opts.IO.ErrOut, "mouseauth live: metrics on http://%s/metrics, health on /healthz\n", addr)
	}
	if env.Cluster != nil {
		enrolled, err := env.Profiles.ModelUsers(ctx)
		if err != nil {
			return err
		}
		slices.SortFunc(enrolled, naturalCompare)
		bundle, rp := bundleCommands(opts.Deploy.State, enrolled)
		fmt.Fprintf(opts.IO.ErrOut, "mouseauth live: a workstation's client bundle (its own identity, bound to its users): %s\n"+
			"mouseauth live: replay from that bundle alone, in seconds (pw.txt: the users' password): %s\n"+
			"mouseauth live: (leave out --interval and --max-actions to replay the sessions at their recorded speed: minutes)\n",
			shell.Join(bundle), shell.Join(rp))
	}
	fmt.Fprintln(opts.IO.ErrOut, "mouseauth live: serving; Ctrl-C or SIGTERM drains and stops")
	if opts.Started != nil {
		opts.Started(addr, svc.Ready())
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if ln != nil {
			return svc.Serve(gctx, ln)
		}
		return svc.Run(gctx)
	})
	if opts.ReadyFile != "" {
		defer os.Remove(opts.ReadyFile)
		g.Go(func() error {
			select {
			case <-svc.Ready():
				// A supervisor waits for this file: failing to write it
				// stops the service rather than leave it waiting.
				return deploy.WriteReadyFile(opts.ReadyFile, deploy.Ready{PID: os.Getpid(), Metrics: addr, Brokers: env.Brokers, Group: opts.Group})
			case <-gctx.Done():
				return nil
			}
		})
	}
	err = g.Wait()
	st := svc.Stats()
	fmt.Fprintf(opts.IO.ErrOut, "mouseauth live: stopped after %v logins, %v vectors, %v decisions, %v alerts, %v dead letters, %v redelivered\n",
		live.Value(st.Logins), live.Value(st.Vectors), live.Value(st.Decisions), live.Value(st.Alerts), live.Value(st.DeadLetters), live.Value(st.Redelivered))
	return err
}

// checkListen refuses a --listen address that is not loopback unless
// allowRemote: /metrics and /healthz carry counts of logins, alerts and
// dead letters, which the network should see only when asked for. An
// empty host (":9464") listens on every interface; a host name other than
// localhost may resolve anywhere, so both count as remote.
func checkListen(addr string, allowRemote bool) error {
	if addr == "" || allowRemote {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return cli.FlagErrorf("--listen %q: want host:port (%v)", addr, err)
	}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		return nil
	}
	return cli.FlagErrorf("--listen %s is reachable from other hosts: /metrics and /healthz would be readable from the network; "+
		"use 127.0.0.1:PORT, or add --allow-remote-metrics to mean it", addr)
}
