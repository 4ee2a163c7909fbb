package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/live"
	"github.com/mouseauth/mouseauth/live/account"
)

// NewCmdLive builds `mouseauth live`.
func NewCmdLive(f *cli.Factory) *cobra.Command {
	return group("live", "Run the live scoring service, enrol users, inspect stores",
		`  mouseauth live serve
  mouseauth live enroll --user alice --department finance --model models/alice.model --password-file pw.txt
  mouseauth live status`,
		newCmdLiveServe(f, nil), newCmdLiveEnroll(f, nil), newCmdLiveStatus(f, nil))
}

// ServeOptions are the options of `mouseauth live serve`.
type ServeOptions struct {
	IO         *cli.IOStreams
	Deploy     DeployOptions
	Window     int
	Threshold  float64
	Retrain    int64
	RetrainAge time.Duration
	Trees      int
	Seed       int64
	Group      string
	Listen     string
	LogLevel   string
	Lockout    int
	LockFor    time.Duration
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
                 database), with a lockout after repeated failures
  second factor  each action scored by the user's model; the mean of the last
                 --window scores below --threshold raises an alert

Vectors, decisions and sessions are stored idempotently, offsets committed only
after the decision is stored, so a crash or restart loses and double-counts
nothing. Messages that cannot be processed go to the dead-letter topic. After
--retrain-every new vectors a user's model is retrained in the background and
swapped in. /metrics (Prometheus) and /healthz are served on --listen.
SIGTERM or Ctrl-C drains: fetched messages finish, offsets are committed.

With no cluster flags everything is embedded under --state: a Kafka broker
with mutual TLS and a data directory, a SQLite database, and certificates
created on first use. Flags point it at real clusters instead; secrets (the
MySQL DSN) come from a file or the environment, never from flags.`,
		Example: `  # embedded: broker, database and certificates under ./mouseauth-state
  mouseauth live serve

  # real clusters: Kafka and MariaDB over mTLS, profiles in Cassandra
  MOUSEAUTH_MYSQL_DSN='scorer@tcp(db1:3306)/mouseauth' mouseauth live serve \
    --brokers kafka1:9093,kafka2:9093 --tls-dir pki --tls-name scorer \
    --cassandra cass1:9142 --replication NetworkTopologyStrategy:dc1=3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Deploy.validate(); err != nil {
				return err
			}
			if opts.Window < 1 || opts.Threshold <= 0 || opts.Threshold >= 1 {
				return cli.FlagErrorf("--window must be >= 1 and --threshold in (0, 1)")
			}
			if _, err := parseLevel(opts.LogLevel); err != nil {
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
	fl.IntVar(&opts.Window, "window", 10, "actions per decision window")
	fl.Float64Var(&opts.Threshold, "threshold", 0.5, "alert when the window's mean score is below this")
	fl.Int64Var(&opts.Retrain, "retrain-every", 1000, "retrain a user's model after this many new vectors (-1: never)")
	fl.DurationVar(&opts.RetrainAge, "retrain-age", 30*24*time.Hour, "retrain a model older than this")
	fl.IntVar(&opts.Trees, "trees", 100, "trees of retrained random forests")
	fl.Int64Var(&opts.Seed, "seed", 1, "seed of retraining")
	fl.StringVar(&opts.Group, "group", "mouseauth-live", "Kafka consumer group")
	fl.StringVar(&opts.Listen, "listen", "127.0.0.1:9464", "address of /metrics and /healthz (empty: off)")
	fl.StringVar(&opts.LogLevel, "log-level", "info", "debug, info, warn or error (logs go to stderr)")
	fl.IntVar(&opts.Lockout, "lockout", 5, "failed logins before the account is locked")
	fl.DurationVar(&opts.LockFor, "lock-for", 15*time.Minute, "how long a locked account stays locked")
	return cmd
}

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
	env, err := opts.Deploy.open(ctx, logger)
	if err != nil {
		return err
	}
	defer env.Close()
	cfg := live.Config{Brokers: env.Brokers, TLS: env.Scorer, Topics: env.Topics, Group: opts.Group,
		Profiles: env.Profiles, Credentials: env.Creds, Window: opts.Window, Threshold: opts.Threshold,
		Lockout: live.Lockout{MaxFailures: opts.Lockout, LockFor: opts.LockFor},
		Retrain: live.RetrainPolicy{Every: opts.Retrain, MaxAge: opts.RetrainAge,
			Train: account.TrainOptions{Params: map[string]any{"trees": opts.Trees}, Seed: opts.Seed}},
		Logger: logger}
	if env.Topics.PerUser {
		users, err := env.Profiles.ModelUsers(ctx)
		if err != nil {
			return err
		}
		if err := env.EnsureUserTopics(ctx, users); err != nil {
			return err
		}
		cfg.Users = users
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
		fmt.Fprintf(opts.IO.ErrOut, "mouseauth live: replay against it with: mouseauth replay --brokers %s --tls-dir %s --state %s --no-service\n",
			env.Brokers[0], env.Cluster.PKIDir, opts.Deploy.State)
	}
	fmt.Fprintln(opts.IO.ErrOut, "mouseauth live: serving; Ctrl-C or SIGTERM drains and stops")
	if opts.Started != nil {
		opts.Started(addr, svc.Ready())
	}
	if ln != nil {
		err = svc.Serve(ctx, ln)
	} else {
		err = svc.Run(ctx)
	}
	st := svc.Stats()
	fmt.Fprintf(opts.IO.ErrOut, "mouseauth live: stopped after %v logins, %v vectors, %v decisions, %v alerts, %v dead letters, %v redelivered\n",
		live.Value(st.Logins), live.Value(st.Vectors), live.Value(st.Decisions), live.Value(st.Alerts), live.Value(st.DeadLetters), live.Value(st.Redelivered))
	return err
}

// EnrollOptions are the options of `mouseauth live enroll`.
type EnrollOptions struct {
	IO           *cli.IOStreams
	Deploy       DeployOptions
	User         string
	Department   string
	Model        string
	PasswordFile string
	Getenv       func(string) string
	Now          func() time.Time
}

func newCmdLiveEnroll(f *cli.Factory, runF func(context.Context, *EnrollOptions) error) *cobra.Command {
	opts := &EnrollOptions{IO: f.IO, Getenv: os.Getenv, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "enroll",
		Short: "Register a user: password hash and first model",
		Long: `Enroll stores a user's argon2id password hash and department in the credential
store and, with --model, a model from 'classify train' as version 1 in the
profile store. The password is read from --password-file, else from
$MOUSEAUTH_PASSWORD, else from the first line of standard input; it is never a
flag, so it does not land in shell history or the process list.`,
		Example: `  mouseauth classify train --features features.csv --out models
  mouseauth live enroll --user User1 --department finance --model models/User1.model --password-file pw.txt
  printf '%s\n' "$PW" | mouseauth live enroll --user User2 --model models/User2.model`,
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
			return enrollRun(cmd.Context(), opts)
		},
	}
	opts.Deploy.bind(cmd.Flags(), "scorer")
	cmd.Flags().StringVar(&opts.User, "user", "", "user name (required)")
	cmd.Flags().StringVar(&opts.Department, "department", "", "department")
	cmd.Flags().StringVar(&opts.Model, "model", "", "model file from 'classify train'")
	cmd.Flags().StringVar(&opts.PasswordFile, "password-file", "", "file whose first line is the password")
	return cmd
}

func readPassword(opts *EnrollOptions) (string, error) {
	var r io.Reader
	switch {
	case opts.PasswordFile != "":
		f, err := os.Open(opts.PasswordFile)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	case opts.Getenv("MOUSEAUTH_PASSWORD") != "":
		return opts.Getenv("MOUSEAUTH_PASSWORD"), nil
	default:
		r = opts.IO.In
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("empty password (give --password-file, $MOUSEAUTH_PASSWORD or a line on stdin)")
	}
	return pw, nil
}

func enrollRun(ctx context.Context, opts *EnrollOptions) error {
	pw, err := readPassword(opts)
	if err != nil {
		return err
	}
	var model []byte
	if opts.Model != "" {
		if model, err = os.ReadFile(opts.Model); err != nil {
			return err
		}
		sm, err := classify.Load(strings.NewReader(string(model)))
		if err != nil {
			return fmt.Errorf("%s: %w", opts.Model, err)
		}
		if sm.Header.User != "" && sm.Header.User != opts.User {
			return fmt.Errorf("%s is %s's model, not %s's", opts.Model, sm.Header.User, opts.User)
		}
	}
	env, err := opts.Deploy.openStores(ctx)
	if err != nil {
		return err
	}
	defer env.Close()
	kept, err := account.Enroll(ctx, env.Creds, env.Profiles, account.Enrolment{User: opts.User, Department: opts.Department,
		Password: pw, Model: model, Now: opts.Now()})
	if err != nil {
		return err
	}
	msg := "enrolled " + opts.User
	if model != nil && kept {
		msg += " (a model was stored already; kept it)"
	}
	fmt.Fprintln(opts.IO.ErrOut, msg)
	return nil
}

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
