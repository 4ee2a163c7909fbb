package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/segmentio/kafka-go/sasl"
	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live/deploy"
	"github.com/mouseauth/mouseauth/live/tail"
	"github.com/mouseauth/mouseauth/live/topics"
)

// TailOptions are the options of `mouseauth live tail`.
type TailOptions struct {
	IO            *cli.IOStreams
	Deploy        DeployOptions
	Topics        []string
	Sources       []tail.Source
	FromBeginning bool
	NoFollow      bool
	Max           int
	User          string
	// Ready, when set, is called once the tail knows where it starts
	// (tests produce then).
	Ready func(tail.Start)
}

func newCmdLiveTail(f *cli.Factory, runF func(context.Context, *TailOptions) error) *cobra.Command {
	opts := &TailOptions{IO: f.IO}
	var all []string
	for _, s := range tail.Sources() {
		all = append(all, string(s))
	}
	cmd := &cobra.Command{
		Use:   "tail",
		Short: "Print decisions and alerts from the topics as JSON lines, for people and jq",
		Long: `Tail reads the pipeline's topics and prints one JSON object per record on
standard output: by default the decisions and alerts written from now on,
until Ctrl-C or --max records. Messages of format versions 1 and 2 are
decoded: decisions, alerts and dead letters keep the member names of the wire
format (docs/wire.md), so the jq filters written for the topics work here;
binary feature vectors (--topic features) are decoded into their values;
logins (--topic logins) are shown without their secrets (a version 1 login's
clear password is never decoded, a version 2 login's sealed part is left out,
and no dead letter of the login topic shows its bytes). Each line ends with
"kafka": the record's topic, partition, offset and time. A record that does
not decode is a line of kind "error" naming why, and the tail goes on.

--topic takes any of: ` + strings.Join(all, ", ") + `.

The decisions are those of every client identity (mouseauth.decisions and
mouseauth.decisions.NAME), read as the operator, whose identity reads the
decisions, alerts and dead letters and nothing else. Logins and feature
vectors only the scorer reads: with --topic logins or features the embedded
broker is read as the scorer unless --cert says otherwise (no role reads both
the inputs and the other topics: tail them apart).

It reads partition by partition, outside any consumer group, so it changes
no offset of the scoring service. With no cluster flags it reads the
embedded broker of --state: the one a running 'mouseauth live serve' started
there, or, when none runs, the broker's stored data (then add --no-follow or
--max). Against a real cluster give --brokers and --pki-dir, with a
certificate (--cert) allowed to read the topics.`,
		Example: `  # alerts and decisions as they happen, next to a running 'mouseauth live serve'
  mouseauth live tail

  # refused actions, from the oldest record kept, then stop
  mouseauth live tail --from-beginning --no-follow | jq 'select(.kind == "decision" and .accept == false)'

  # dead letters, shortened
  mouseauth live tail --topic deadletter --from-beginning --no-follow | jq -c '{topic, offset, class, reason}'

  # one user's feature vectors on a real cluster
  mouseauth live tail --topic features --user user7 --max 5 \
    --brokers kafka1:9093 --pki-dir mouseauth-pki --cert scorer`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Deploy.validate(); err != nil {
				return err
			}
			if opts.Max < 0 {
				return cli.FlagErrorf("--max cannot be negative")
			}
			names := topics.Default()
			names.PerUser = opts.Deploy.TopicPerUser
			var err error
			if opts.Sources, err = tail.ParseSources(opts.Topics, names); err != nil {
				return cli.FlagErrorf("--topic: %v", err)
			}
			inputs := 0
			for _, s := range opts.Sources {
				if s == tail.Logins || s == tail.Features {
					inputs++
				}
			}
			switch {
			case cmd.Flags().Changed("cert") || inputs == 0:
			case inputs < len(opts.Sources):
				return cli.FlagErrorf("--topic: logins and features are read as the scorer, the other topics as the operator, and no role reads both; tail them apart (or give --cert)")
			default:
				opts.Deploy.TLSName = cluster.CertScorer // only the scorer reads the inputs
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return tailRun(cmd.Context(), opts)
		},
	}
	opts.Deploy.bind(cmd.Flags(), cluster.CertOperator)
	fl := cmd.Flags()
	fl.StringSliceVar(&opts.Topics, "topic", []string{string(tail.Decisions), string(tail.Alerts)}, "topics to read: "+strings.Join(all, ", "))
	fl.BoolVar(&opts.FromBeginning, "from-beginning", false, "start at the oldest record each partition keeps (default: only new records)")
	fl.BoolVar(&opts.NoFollow, "no-follow", false, "stop at the end of the topics instead of waiting for new records")
	fl.IntVar(&opts.Max, "max", 0, "stop after this many records (0: no limit)")
	fl.StringVar(&opts.User, "user", "", "only this user's records (the record key)")
	return cmd
}

func tailRun(ctx context.Context, opts *TailOptions) error {
	ios := opts.IO
	brokers, cfg, mech, closeBroker, err := tailBroker(ctx, opts)
	if err != nil {
		return err
	}
	defer closeBroker()
	names := topics.Default()
	names.PerUser = opts.Deploy.TopicPerUser
	from := "from now on"
	if opts.FromBeginning {
		from = "from the oldest record kept"
	}
	until := "until Ctrl-C"
	switch {
	case opts.NoFollow:
		until = "to the end"
	case opts.Max > 0:
		until = fmt.Sprintf("until %d records or Ctrl-C", opts.Max)
	}
	logger := slog.New(slog.NewTextHandler(ios.ErrOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	n, err := tail.Run(ctx, tail.Config{Brokers: brokers, TLS: cfg, SASL: mech, Topics: names, Sources: opts.Sources,
		FromBeginning: opts.FromBeginning, Follow: !opts.NoFollow, Max: opts.Max, User: opts.User, Logger: logger,
		Ready: func(s tail.Start) {
			var parts []string
			for _, t := range s.Topics {
				parts = append(parts, fmt.Sprintf("%s (%d partitions)", t, s.Partitions[t]))
			}
			backlog := ""
			if opts.FromBeginning {
				backlog = fmt.Sprintf(", %d records kept", s.Backlog)
			}
			if !ios.Quiet {
				fmt.Fprintf(ios.ErrOut, "live tail: reading %s %s %s%s\n", strings.Join(parts, ", "), from, until, backlog)
			}
			if opts.Ready != nil {
				opts.Ready(s)
			}
		}}, ios.Out)
	if !ios.Quiet && (err == nil || errors.Is(err, context.Canceled)) {
		fmt.Fprintf(ios.ErrOut, "live tail: %d records\n", n)
	}
	return err
}

// tailBroker returns the brokers, client certificate and SASL identity to
// read with: the flags' cluster; or the embedded broker of --state, the
// running one when a 'live serve' (or replay) holds it, else started here
// from its data. The embedded broker's SASL user is --sasl-user, else the
// certificate's name (operator by default; scorer for the inputs).
func tailBroker(ctx context.Context, opts *TailOptions) (brokers []string, cfg *tls.Config, mech sasl.Mechanism, closeBroker func(), err error) {
	ios, o := opts.IO, &opts.Deploy
	d, err := o.options()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if len(o.Brokers) > 0 {
		if d.SASL.User != "" {
			if mech, err = topics.SASL(d.SASL.Mechanism, d.SASL.User, d.SASL.Password); err != nil {
				return nil, nil, nil, nil, err
			}
		}
		cfg, err := deploy.ClientTLS(d)
		return o.Brokers, cfg, mech, func() {}, err
	}
	if _, err := os.Stat(o.State); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil, nil, fmt.Errorf("no embedded state in %s: 'mouseauth live serve' or 'mouseauth replay' makes it; or give --state, or --brokers and --pki-dir", o.State)
	}
	if cfg, err = deploy.ClientTLS(d); err != nil {
		return nil, nil, nil, nil, err
	}
	user := d.SASL.User
	if user == "" {
		user = o.TLSName
	}
	if mech, err = cluster.Credentials(o.State, user); err != nil {
		return nil, nil, nil, nil, err
	}
	if addr, ok := runningBroker(ctx, o.State, cfg, mech); ok {
		note(ios, "live tail: the embedded broker of %s runs at %s; reading from it\n", o.State, addr)
		return []string{addr}, cfg, mech, func() {}, nil
	}
	cl, err := cluster.Start(ctx, cluster.Options{Dir: o.State, Partitions: o.Partitions, Retention: o.Retention, InputRetention: o.InputRetention})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	note(ios, "live tail: no broker runs for %s; started its embedded broker at %s on the stored data (nothing scores or writes there now)\n",
		o.State, cl.Brokers[0])
	return cl.Brokers, cfg, mech, cl.Close, nil
}

// runningBroker reports the address of the embedded broker of state when
// one answers there: the port its last start recorded, on the loopback
// address.
func runningBroker(ctx context.Context, state string, cfg *tls.Config, mech sasl.Mechanism) (string, bool) {
	b, err := os.ReadFile(filepath.Join(state, "kafka.port"))
	if err != nil {
		return "", false
	}
	addr := net.JoinHostPort("127.0.0.1", strings.TrimSpace(string(b)))
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := topics.Probe(addr, mech)(pctx, cfg); err != nil {
		return "", false
	}
	return addr, true
}

// note writes a status line on stderr unless -q.
func note(ios *cli.IOStreams, format string, args ...any) {
	if !ios.Quiet {
		fmt.Fprintf(ios.ErrOut, format, args...)
	}
}
