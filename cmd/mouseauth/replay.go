package main

import (
	"context"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/decide"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/live/deploy"
	"github.com/mouseauth/mouseauth/replay"
)

// ReplayOptions are the options of `mouseauth replay`.
type ReplayOptions struct {
	IO     *cli.IOStreams
	Now    func() time.Time
	Deploy DeployOptions

	Data                     string
	Users                    []int // user counts, one replay round each
	Sessions, Actions        int
	Seed                     int64
	TrainSessions, Impostors int
	MaxActions               int
	Speed                    float64
	Interval                 time.Duration
	Stagger                  time.Duration
	Wait                     time.Duration
	NoService                bool
	// ScorerKey is the scorer's public key file; empty: the in-process
	// service's, or the one published in --state.
	ScorerKey string
	// Bundle is a client bundle folder (pki bundle): replay runs from its
	// files alone, against a running scorer, as a client machine does.
	Bundle string
	// PasswordFile holds the replayed users' password (else
	// $MOUSEAUTH_PASSWORD): required with Bundle; otherwise the password
	// of the users enrolled already, and of the new ones.
	PasswordFile string
	Getenv       func(string) string
	// Decision is the decision policy the enrolment models record
	// (decide's text); "" records decide.DefaultPolicy.
	Decision string
	Preset   string // training settings of the enrolment and retrained models
	Trees    int
	Output   string
	// Result receives the rounds' results (tests, the demo).
	Result func([]replay.Result)
}

func newCmdReplay(f *cli.Factory, runF func(context.Context, *ReplayOptions) error) *cobra.Command {
	opts := &ReplayOptions{IO: f.IO, Now: f.Now, Getenv: os.Getenv}
	var users userCounts
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "Replay recorded sessions through the live pipeline and measure it",
		Long: `Replay drives the live pipeline as many clients at once would. It replays each
user's sessions after the first ones (which train the user's model): it logs
in, waits for the first factor's answer, extracts features on the client side
as the deployed design does, and sends each action's vector with its recorded
timing (--speed times faster, or one every --interval). --impostors K replays K
of the sessions again under another user's login, to check that alerts fire.

From a client bundle (--bundle DIR, made by 'mouseauth pki bundle' on the
scorer's side) replay is one workstation: it runs from the bundle's files alone
against a running 'mouseauth live serve', signs its logins with the bundle's
identity, and reads only that identity's decisions. Its users must be enrolled
already (live enroll, or an earlier embedded replay); --password-file (or
$MOUSEAUTH_PASSWORD) holds their password. Users outside the bundle's binding
are refused by the scorer.

Without --bundle, replay runs on the scorer's side: it enrols the users not
enrolled yet (the password of --password-file, else a generated one, and a
model trained on their first sessions unless one is stored) and never changes
a stored password: a user enrolled already needs its password in
--password-file. It connects as the shared replay identity, bound to every
user: for replay and benchmarks only, never for a workstation.

The recorded timing is a person's: the default replay (6 synthetic users, 150
actions a session) takes about 12 minutes. --interval 10ms --max-actions 30
replays the same sessions in seconds.

Sessions come from --data (raw DFL or Balabit logs) or are synthesized.
--users N replays the first N users; --user-counts takes a list (1,4,14) or a
range (1:14) and runs one round per count. Per round it reports vectors
sent, decisions received (each counted once; redeliveries apart), alerts, and
the latency from send to decision: mean, p50, p99, max.

Each login is sealed to the scorer's public key (wire format 2, docs/wire.md)
with a fresh session key and a random 128-bit session id; every vector is
MAC'd under that key and every decision's MAC checked: a decision that does
not verify is ignored and counted as forged. The key comes from --scorer-key,
else from the in-process service, else from STATE/scorer-hpke.pub, which
'live serve' writes.

With no cluster flags, everything runs in this process: the embedded broker
with mutual TLS, the embedded database and a scoring service. With --brokers
it talks to a real cluster; --no-service leaves scoring to a running
'mouseauth live serve'.`,
		Example: `  # embedded, synthetic users, 2 impostor sessions, in seconds
  mouseauth replay --users 6 --impostors 2 --interval 10ms --max-actions 30

  # the same at the recorded speed of the sessions (about 12 minutes)
  mouseauth replay --users 6 --impostors 2

  # rounds of 2, 4 and 6 users
  mouseauth replay --user-counts 2:6:2 --interval 10ms --max-actions 30

  # the enterprise design's load: 14 users, 10 vectors per 5 s each
  mouseauth replay --users 14 --interval 500ms --max-actions 40 --impostors 4

  # recorded sessions at 20x their real speed
  mouseauth replay --data ../shared/data/balabit/training_files --users 10 --speed 20 --max-actions 300

  # a workstation's client bundle, against a running 'mouseauth live serve'
  mouseauth replay --bundle ws1 --password-file pw.txt --users 4 --interval 10ms --max-actions 30

  # a real cluster: the scorer's public key copied from its state folder
  mouseauth replay --brokers kafka1:9093 --pki-dir mouseauth-pki --scorer-key scorer-hpke.pub --sasl-user replay --sasl-password-file replay.password --no-service`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if opts.Users, err = users.counts(cmd.Flags(), opts.IO.ErrOut); err != nil {
				return err
			}
			if opts.Bundle != "" {
				for _, name := range []string{"brokers", "pki-dir", "cert", "sasl-user", "sasl-password-file", "scorer-key", "profiles",
					"mysql-dsn-file", "cassandra", "models-dir", "topic-per-user", "state"} {
					if cmd.Flags().Changed(name) {
						return cli.FlagErrorf("--bundle holds the brokers, the identity and the scorer's key; --%s goes with it only on the scorer's side", name)
					}
				}
				if opts.PasswordFile == "" && opts.Getenv(envPassword) == "" {
					return cli.FlagErrorf("--bundle needs the replayed users' password: --password-file or $%s", envPassword)
				}
				opts.NoService = true
			}
			if err := opts.Deploy.validateWith(opts.Output); err != nil {
				return err
			}
			if err := checkTrainPreset(cmd, opts.IO.ErrOut, &opts.Preset); err != nil {
				return err
			}
			switch {
			case opts.Speed <= 0:
				return cli.FlagErrorf("--speed must be positive")
			case opts.Data == "" && (opts.Sessions < 2 || opts.Actions < 1):
				return cli.FlagErrorf("--sessions must be at least 2 (one trains, one is replayed) and --actions at least 1")
			case opts.Impostors < 0 || opts.MaxActions < 0:
				return cli.FlagErrorf("--impostors and --max-actions cannot be negative")
			}
			if opts.Decision != "" {
				if _, err := decide.ParsePolicy(opts.Decision); err != nil {
					return cli.FlagErrorf("--decision: %v", err)
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return replayRun(cmd.Context(), opts)
		},
	}
	opts.Deploy.bind(cmd.Flags(), "replay")
	fl := cmd.Flags()
	fl.StringVar(&opts.Data, "data", "", "folder of raw logs (default: synthetic users)")
	users.bind(cmd, 6, "")
	fl.IntVar(&opts.Sessions, "sessions", 3, "synthetic sessions per user")
	fl.IntVar(&opts.Actions, "actions", 150, "pointing actions per synthetic session")
	bindSeed(fl, &opts.Seed, "seed of the synthetic users and of training")
	fl.IntVar(&opts.TrainSessions, "train-sessions", 0, "first sessions of each user that train its model (default: half)")
	fl.IntVar(&opts.Impostors, "impostors", 2, "sessions replayed again under another user's login")
	fl.IntVar(&opts.MaxActions, "max-actions", 0, "at most this many vectors per session (0: all)")
	fl.Float64Var(&opts.Speed, "speed", 1, "replay the recorded timing this many times faster")
	fl.DurationVar(&opts.Interval, "interval", 0, "send one vector per session every interval instead of the recorded timing (-1ns: as fast as possible)")
	fl.DurationVar(&opts.Stagger, "stagger", 10*time.Millisecond, "pause between logins")
	fl.DurationVar(&opts.Wait, "wait", time.Minute, "how long to wait for outstanding decisions")
	fl.BoolVar(&opts.NoService, "no-service", false, "do not run a scoring service in this process (one runs elsewhere)")
	fl.StringVar(&opts.Bundle, "bundle", "", "a client bundle folder ('mouseauth pki bundle'): replay as that workstation, from its files alone, against a running 'live serve'")
	fl.StringVar(&opts.PasswordFile, "password-file", "", "file whose first line is the replayed users' password (or $"+envPassword+"); required with --bundle")
	fl.StringVar(&opts.ScorerKey, "scorer-key", "", "the scorer's public key (PEM) that logins are sealed to (default: STATE/"+deploy.PublicKeyFile+", written by 'live serve'; copy it from the scorer for a real cluster)")
	fl.StringVar(&opts.Decision, "decision", "", "decision policy the enrolment models record (decide's text, decide/1 ...); empty: the default policy")
	fl.StringVar(&opts.Preset, "preset", presetDefault, "training settings of the enrolment models: improved (gbdt, what the evaluation recommends) or published (rf of --trees trees; it was called reference)")
	fl.IntVar(&opts.Trees, "trees", 100, "trees of the enrolment models under --preset published")
	cli.AddOutputFlag(cmd, &opts.Output)
	return cmd
}
